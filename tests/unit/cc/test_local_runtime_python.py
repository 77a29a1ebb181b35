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
"""The local runtime starts SOs with a Python interpreter, also when the CC
runs inside uwsgi (``sys.executable`` is then the uwsgi binary)."""
import os
import sys

import fixtures
import testtools

from hurtle.cc.runtime import local


class PythonExecutableTest(testtools.TestCase):

    def setUp(self):
        super().setUp()
        self.prefix = self.useFixture(fixtures.TempDir()).path
        os.mkdir(os.path.join(self.prefix, 'bin'))

    def executable(self, name):
        path = os.path.join(self.prefix, 'bin', name)
        with open(path, 'w') as handle:
            handle.write('#!/bin/sh\n')
        os.chmod(path, 0o755)
        return path

    def test_python_is_kept(self):
        self.useFixture(fixtures.MonkeyPatch(
            'sys.executable', '/usr/bin/python3.11'))
        self.assertEqual('/usr/bin/python3.11', local.python_executable())

    def test_uwsgi_gives_the_prefix_python(self):
        python = self.executable('python3')
        self.useFixture(fixtures.MonkeyPatch(
            'sys.executable', self.executable('uwsgi')))
        self.useFixture(fixtures.MonkeyPatch('sys.prefix', self.prefix))
        self.assertEqual(python, local.python_executable())

    def test_no_python_in_the_prefix(self):
        uwsgi = self.executable('uwsgi')
        self.useFixture(fixtures.MonkeyPatch('sys.executable', uwsgi))
        self.useFixture(fixtures.MonkeyPatch('sys.prefix', self.prefix))
        self.assertEqual(uwsgi, local.python_executable())
        self.assertEqual(uwsgi, sys.executable)
