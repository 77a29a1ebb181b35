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
"""What a test does when a real component it needs (PostgreSQL, ...)
cannot run here.

A developer without the component gets a skip that says what is missing
and how to get it; CI must not pass without the component, so when
``$HURTLE_TEST_STRICT`` is set (``.ci/run`` sets it; ``tox.ini`` passes
it on) the test fails with the same sentence instead.
"""
import os
import unittest

STRICT_ENV = 'HURTLE_TEST_STRICT'


def strict():
    """True if a missing component is a failure (CI)."""
    return os.environ.get(STRICT_ENV, '') not in ('', '0')


def skip_or_fail(why, hint=''):
    """Skip the test (or the class, from ``setUpClass``) because of
    ``why`` (a sentence; ``hint``: how to get the component), or fail it
    if :func:`strict`.

    :raises unittest.SkipTest: not strict.
    :raises AssertionError: strict.
    """
    if strict():
        raise AssertionError('%s (%s is set, so this is a failure, not a '
                             'skip)' % (why, STRICT_ENV))
    raise unittest.SkipTest('%s%s' % (why, ' - ' + hint if hint else ''))
