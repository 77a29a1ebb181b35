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
"""``hurtle.cmd.common.release_free_memory``: the C heap's free pages go
back to the kernel (what a served process does once started). In a fresh
interpreter, 48 MiB of 64 KiB blocks (below glibc's mmap threshold: they
are in the heap) are freed but the last, which keeps the heap from
shrinking by itself; the call gives the freed pages back."""
import json
import subprocess
import sys

import testtools

CHILD = r'''
import json
from hurtle.cmd import common

def anon_kib():
    with open('/proc/self/status') as handle:
        for line in handle:
            if line.startswith('RssAnon:'):
                return int(line.split()[1])

blocks = [bytearray(64 * 1024) for _ in range(768)]
last = blocks[-1]
del blocks
before = anon_kib()
released = common.release_free_memory()
print(json.dumps({'released': released, 'before': before,
                  'after': anon_kib()}))
'''


class ReleaseFreeMemoryTest(testtools.TestCase):

    def test_freed_heap_pages_leave_the_resident_set(self):
        out = subprocess.run([sys.executable, '-c', CHILD],
                             capture_output=True, text=True, timeout=60,
                             check=True)
        seen = json.loads(out.stdout.strip().splitlines()[-1])
        self.assertTrue(seen['released'])
        # At least 32 of the 48 MiB freed are no longer resident.
        self.assertGreater(seen['before'] - seen['after'], 32 * 1024,
                           seen)
