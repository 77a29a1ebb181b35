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
"""hurtle-all imports the installed Hurtle whatever its working directory.

Run from the parent directory of a checkout named ``hurtle``, a child
started with ``python -m`` would import that directory (the working
directory comes first on its ``sys.path``) instead of the installed
package. Here the working directory holds a decoy package ``hurtle`` that
fails on import: hurtle-all (its console script), its children (Heat, CC,
SM) and the SO the CC starts must all still run, and an instance of the
sample service must become active.
"""
import os
import time

import fixtures
import testtools

from hurtle.occi import client as occi_client
from tests.functional import hurtle_fixture

KIND = occi_client.CategoryRef('http://schemas.hurtle.it/occi/sm#',
                               'sample', 'kind')


class WorkingDirectoryTest(testtools.TestCase):

    def test_decoy_package_in_cwd_is_not_imported(self):
        cwd = self.useFixture(fixtures.TempDir()).path
        decoy = os.path.join(cwd, 'hurtle')
        os.makedirs(os.path.join(decoy, 'cmd'))
        for path in (os.path.join(decoy, '__init__.py'),
                     os.path.join(decoy, 'cmd', '__init__.py')):
            with open(path, 'w') as handle:
                handle.write('raise ImportError("decoy hurtle imported '
                             'from the working directory")\n')
        hurtle = self.useFixture(hurtle_fixture.HurtleAll(
            manifests=(hurtle_fixture.SAMPLE_MANIFEST,), cwd=cwd,
            console_script=True))
        client = occi_client.OCCIClient(
            hurtle.sm_url, headers={'X-Project-Id': 'demo'})
        location = client.create('/sample/', KIND,
                                 {'sample.greeting': 'cwd'})
        deadline = time.monotonic() + 120
        state = None
        while time.monotonic() < deadline:
            attrs = client.get(location).attributes
            state = attrs['mcn.service.state']
            if state in ('active', 'failed'):
                break
            time.sleep(0.3)
        self.assertEqual('active', state, attrs.get(
            'mcn.service.state.reason'))
        self.assertNotIn('decoy', hurtle.output())
