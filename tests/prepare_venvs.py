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
"""Make the virtualenvs of the real Keystone and Aodh ahead of the tests.

The fixtures (``tests/keystone_fixture.py``, ``tests/aodh_fixture.py``)
make them on first use, from PyPI: about 100 s for Keystone (with its
initial database and keys) and 150 s for Aodh, during which the test
worker that needs them waits. ``run-tests.sh`` starts this script in the
background as soon as the test environment exists, so that the two are
made while the linters and the docs build run, both at once. The
fixtures' lock files make it safe to run beside them: a test that needs
a virtualenv still being made waits for it, and one already made is
reused.

A failure here changes nothing: it is printed, and the fixture tries
again when a test needs the virtualenv (and then fails loudly). Usage:
``python tests/prepare_venvs.py`` from the repository root; exit status
1 if either could not be made.
"""
import os
import sys
import threading
import traceback

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(
    __file__))))

from tests import aodh_fixture  # noqa: E402
from tests import keystone_fixture  # noqa: E402


def _keystone():
    keystone_fixture.initial_state(keystone_fixture.ensure_venv())


def _aodh():
    keystone_fixture.ensure_venv(aodh_fixture.VENV,
                                 (aodh_fixture.REQUIREMENT,))


def main():
    failed = []

    def run(name, make):
        try:
            make()
        except Exception:
            failed.append(name)
            print('%s virtualenv not made:\n%s' % (
                name, traceback.format_exc()), file=sys.stderr)

    threads = [threading.Thread(target=run, args=(name, make))
               for name, make in (('Keystone', _keystone), ('Aodh', _aodh))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
