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
"""tests/seed_durations.py: the class durations a run's stream gives."""
import datetime
import io

from subunit import v2
import testtools

from tests import seed_durations

START = datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone.utc)


def _at(seconds):
    return START + datetime.timedelta(seconds=seconds)


def _stream(tests):
    """Subunit v2 bytes of ``[(test id, worker, start s, stop s)]``."""
    buf = io.BytesIO()
    out = v2.StreamResultToBytes(buf)
    for test_id, worker, start, stop in tests:
        tags = {'worker-%d' % worker}
        out.status(test_id=test_id, test_status='inprogress',
                   timestamp=_at(start), test_tags=tags)
        out.status(test_id=test_id, test_status='success',
                   timestamp=_at(stop), test_tags=tags)
    return buf.getvalue()


class ClassTimesTest(testtools.TestCase):

    def test_the_gaps_before_a_test_count_for_its_class(self):
        # Worker 0: class A set up for 10 s, then its tests; class B
        # after a 20-s gap (A's clean-up, B's set-up). Worker 1: C from
        # the start of the run.
        stream = _stream([('p.m.A.test_1', 0, 10, 12),
                          ('p.m.A.test_2', 0, 12, 15),
                          ('p.m.B.test_1', 0, 35, 36),
                          ('p.m.C.test_1', 1, 0, 4),
                          ('p.m.C.test_2(scenario)', 1, 5, 6)])
        self.assertEqual({'p.m.A': 15, 'p.m.B': 21, 'p.m.C': 6},
                         dict(seed_durations.class_times(stream)))

    def test_an_empty_run_has_no_classes(self):
        self.assertEqual({}, dict(seed_durations.class_times(b'')))
