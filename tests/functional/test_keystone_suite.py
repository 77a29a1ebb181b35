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
"""The end-to-end suites in Keystone mode on PostgreSQL.

``EndToEndTest`` and ``LifecycleFaultsTest`` unchanged, each class with a
real Keystone (Heat's accounts, trusts: stacks in the user's project) and
a throw-away PostgreSQL cluster started for it and stopped after it
(``HurtleTestCase.auth`` and ``.database``). CI runs these next to the
noauth + SQLite classes; Keystone + SQLite runs with
``HURTLE_TEST_AUTH=keystone`` (doc/source/contributor/testing.rst). Where
PostgreSQL or Keystone's virtualenv is missing they skip, or fail under
``HURTLE_TEST_STRICT``.
"""
from tests.functional import test_end_to_end
from tests.functional import test_lifecycle_faults


class KeystonePostgreSQLEndToEndTest(test_end_to_end.EndToEndTest):
    auth = 'keystone'
    database = 'postgresql'


class KeystonePostgreSQLLifecycleFaultsTest(
        test_lifecycle_faults.LifecycleFaultsTest):
    auth = 'keystone'
    database = 'postgresql'
