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
"""``--wait`` (hurtle.osc.waiting): state lines, failure, gone, timeout.

The instance is a scripted sequence of records, polled every 10 ms.
"""
import io

from osc_lib import exceptions as osc_exc
import testtools

from hurtle.occi import client
from hurtle.occi import errors
from hurtle.osc import waiting


def _info(state, reason=None):
    attrs = {'mcn.service.state': state}
    if reason is not None:
        attrs['mcn.service.state.reason'] = reason
    return client.EntityInfo('http://sm/sample/x', attributes=attrs)


class Script(object):
    """``get`` returns the given states one by one (the last repeats);
    ``'gone'`` raises NotFound."""

    def __init__(self, *states):
        self.states = list(states)
        self.calls = 0

    def get(self):
        self.calls += 1
        state = self.states.pop(0) if len(self.states) > 1 else \
            self.states[0]
        if state == 'gone':
            raise errors.NotFound('no such instance')
        if isinstance(state, tuple):
            return _info(*state)
        return _info(state)


class WaitTest(testtools.TestCase):

    def wait(self, script, wanted=('active',), timeout=100, **kwargs):
        out = io.StringIO()
        try:
            return waiting.wait(script.get, 'sample/x', wanted, timeout,
                                out, interval=0.01, **kwargs), out
        finally:
            self.out = out.getvalue()

    def test_each_state_once_in_order(self):
        script = Script('initialise', 'initialise', 'deploy', 'provision',
                        'provision', 'active')
        info, _out = self.wait(script)
        self.assertEqual('active', info.attributes['mcn.service.state'])
        self.assertEqual('sample/x: initialise\nsample/x: deploy\n'
                         'sample/x: provision\nsample/x: active\n',
                         self.out)
        self.assertEqual(6, script.calls)

    def test_failed_raises_with_the_reason_on_one_line(self):
        script = Script('deploy', ('failed', 'SO refused:\n bad value'))
        error = self.assertRaises(osc_exc.CommandError, self.wait, script)
        self.assertEqual('sample/x failed: SO refused: bad value',
                         str(error))
        self.assertTrue(self.out.endswith('sample/x: failed\n'))

    def test_failed_without_reason(self):
        error = self.assertRaises(osc_exc.CommandError, self.wait,
                                  Script('failed'))
        self.assertEqual('sample/x failed: no reason given', str(error))

    def test_failed_is_fine_when_wanted(self):
        info, _out = self.wait(Script('failed'), wanted=('failed',))
        self.assertEqual('failed', info.attributes['mcn.service.state'])

    def test_timeout(self):
        script = Script('deploy')
        error = self.assertRaises(osc_exc.CommandError, self.wait, script,
                                  timeout=0.05)
        self.assertEqual('sample/x: still deploy after 0.05 seconds '
                         '(--timeout)', str(error))
        self.assertEqual('sample/x: deploy\n', self.out)
        self.assertGreater(script.calls, 1)

    def test_gone_ends_a_delete(self):
        result, _out = self.wait(Script('destroy', 'destroy', 'gone'),
                                 gone_ok=True)
        self.assertIsNone(result)
        self.assertEqual('sample/x: destroy\nsample/x: deleted\n', self.out)

    def test_gone_during_a_create_is_an_error(self):
        error = self.assertRaises(osc_exc.CommandError, self.wait,
                                  Script('deploy', 'gone'))
        self.assertEqual('sample/x: the instance is gone', str(error))

    def test_failed_delete_raises(self):
        error = self.assertRaises(
            osc_exc.CommandError, self.wait,
            Script('destroy', ('failed', 'stack delete failed')),
            gone_ok=True)
        self.assertEqual('sample/x failed: stack delete failed', str(error))

    def test_other_errors_pass_through(self):
        def get():
            raise errors.ServiceUnavailable('SM overloaded')
        self.assertRaises(errors.ServiceUnavailable, waiting.wait, get,
                          'x', ('active',), 5, io.StringIO())


class WaitUpdateTest(testtools.TestCase):

    def wait_update(self, script):
        out = io.StringIO()
        try:
            return waiting.wait_update(script.get, 'sample/x', 100, out,
                                       interval=0.01)
        finally:
            self.out = out.getvalue()

    def test_applied_ends_active(self):
        info = self.wait_update(Script('update', 'active'))
        self.assertEqual('active', info.attributes['mcn.service.state'])
        self.assertEqual('sample/x: update\nsample/x: active\n', self.out)

    def test_an_update_that_did_not_apply_fails_with_its_reason(self):
        for state, reason in (
                ('active', 'update rejected: deploy: bad\n value'),
                ('active', 'update rolled back: Resource UPDATE failed'),
                ('degraded', 'update pending after 30 s: service '
                 'orchestrator (SO) does not answer; sent again once the '
                 'SO answers'),
                ('degraded', 'update not applied: the SO is gone')):
            error = self.assertRaises(
                osc_exc.CommandError, self.wait_update,
                Script('update', (state, reason)))
            self.assertEqual('sample/x: %s' % ' '.join(reason.split()),
                             str(error))

    def test_degraded_for_another_reason_fails_saying_so(self):
        error = self.assertRaises(
            osc_exc.CommandError, self.wait_update,
            Script(('degraded', 'the SO does not answer')))
        self.assertEqual('sample/x degraded: the SO does not answer',
                         str(error))

    def test_active_with_a_dns_reason_is_applied(self):
        info = self.wait_update(Script(
            'update', ('active', 'DNS name web not registered: down')))
        self.assertEqual('active', info.attributes['mcn.service.state'])
