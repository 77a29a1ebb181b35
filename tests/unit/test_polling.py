"""hurtle.polling.poll_until: the one polling loop."""
import testtools

from hurtle import polling


class TestPollUntil(testtools.TestCase):

    def test_returns_first_value_other_than_none(self):
        answers = iter([None, None, False, 'late'])
        self.assertIs(False, polling.poll_until(lambda: next(answers), 5,
                                                0.01, 'x'))

    def test_checks_once_even_without_time(self):
        calls = []

        def check():
            calls.append(1)
            return 'ok'
        self.assertEqual('ok', polling.poll_until(check, 0, 0.01, 'x'))
        self.assertEqual(1, len(calls))

    def test_timeout_says_on_what(self):
        err = self.assertRaises(polling.Timeout, polling.poll_until,
                                lambda: None, 0, 0.01, 'stack gone')
        self.assertEqual('stack gone did not happen within 0 s', str(err))

    def test_exception_of_check_propagates_at_once(self):
        calls = []

        def check():
            calls.append(1)
            raise KeyError('k')
        self.assertRaises(KeyError, polling.poll_until, check, 5, 0.01, 'x')
        self.assertEqual(1, len(calls))
