# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at
#
#      http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied. See the
# License for the specific language governing permissions and limitations
# under the License.
"""hurtle.polling.poll_until: the one polling loop."""
import threading
import time

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

    def test_waits_grow_from_first_to_interval(self):
        waits = []
        answers = iter([None] * 8 + ['done'])
        self.assertEqual('done', polling.poll_until(
            lambda: next(answers), 60, 1.0, 'x', first=0.1,
            sleep=waits.append))
        expected = [0.1, 0.15, 0.225, 0.3375, 0.50625, 0.759375, 1.0, 1.0]
        self.assertEqual(len(expected), len(waits))
        for want, got in zip(expected, waits):
            self.assertAlmostEqual(want, got)

    def test_without_first_every_wait_is_the_interval(self):
        waits = []
        answers = iter([None, None, 'done'])
        polling.poll_until(lambda: next(answers), 60, 0.7, 'x',
                           sleep=waits.append)
        self.assertEqual([0.7, 0.7], waits)

    def test_no_wait_runs_past_the_deadline(self):
        # A 0.1 s timeout polled every 1 s gave up after 1 s (the
        # command-line tools' --wait --timeout 0.1 saw a create end).
        calls = []

        def check():
            calls.append(time.monotonic())
        started = time.monotonic()
        self.assertRaises(polling.Timeout, polling.poll_until, check, 0.1,
                          1.0, 'x')
        took = time.monotonic() - started
        self.assertGreaterEqual(took, 0.1)
        self.assertLess(took, 0.6)
        # Checked at the start and once more at the deadline.
        self.assertEqual(2, len(calls))

    def test_a_stop_ends_the_wait_once(self):
        stop = threading.Event()
        stop.set()
        calls = []

        def check():
            calls.append(stop.is_set())
            if len(calls) == 2:
                raise ValueError('stopping')
            return None
        # An hour between attempts: only the stop brings the second.
        self.assertRaises(ValueError, polling.poll_until, check, 7200,
                          3600, 'never', stop=stop)
        self.assertEqual([True, True], calls)

    def test_a_check_that_does_not_stop_is_not_spun(self):
        stop = threading.Event()
        stop.set()
        calls = []

        def check():
            calls.append(1)
        self.assertRaises(polling.Timeout, polling.poll_until, check, 0.3,
                          0.1, 'never', stop=stop)
        # Once at once, then every 0.1 s: a handful, never thousands.
        self.assertLess(len(calls), 50)
