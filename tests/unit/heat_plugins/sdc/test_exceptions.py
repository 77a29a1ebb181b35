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
"""CloudAPI error bodies → typed exceptions."""
import testtools

from hurtle.heat_plugins.sdc import exceptions as exc


class FromResponseTest(testtools.TestCase):

    def test_by_code(self):
        cases = [
            (409, 'InvalidArgument', exc.InvalidArgument),
            (409, 'MissingParameter', exc.MissingParameter),
            (401, 'InvalidCredentials', exc.InvalidCredentials),
            (403, 'NotAuthorized', exc.NotAuthorized),
            (404, 'ResourceNotFound', exc.ResourceNotFound),
            (409, 'InUseError', exc.InUse),
            (400, 'BadRequest', exc.BadRequest),
            (400, 'InvalidHeader', exc.BadRequest),
            (449, 'InvalidVersion', exc.InvalidVersion),
            (429, 'RequestThrottled', exc.RequestThrottled),
            (500, 'InternalError', exc.InternalError),
        ]
        for status, code, cls in cases:
            error = exc.from_response(status, {'code': code,
                                               'message': 'boom'})
            self.assertIs(cls, type(error), code)
            self.assertEqual(status, error.status)
            self.assertEqual(code, error.code)
            self.assertEqual('boom', error.message)
            self.assertEqual('%s (HTTP %d): boom' % (code, status),
                             str(error))

    def test_by_status(self):
        cases = [(400, exc.BadRequest), (401, exc.InvalidCredentials),
                 (403, exc.NotAuthorized), (404, exc.ResourceNotFound),
                 (405, exc.MethodNotAllowed), (409, exc.Conflict),
                 (420, exc.RequestThrottled), (449, exc.InvalidVersion),
                 (503, exc.ServiceUnavailable), (502, exc.InternalError),
                 (418, exc.CloudAPIError)]
        for status, cls in cases:
            error = exc.from_response(status, {'code': 'Weird',
                                               'message': 'm'})
            self.assertIs(cls, type(error), status)
            self.assertEqual('Weird', error.code)

    def test_gone(self):
        # CloudAPI answers 410 with the deleted machine as body.
        error = exc.from_response(410, {'id': 'x', 'state': 'deleted'})
        self.assertIsInstance(error, exc.Gone)
        self.assertIsInstance(error, exc.ResourceNotFound)
        self.assertEqual('The resource has been deleted', error.message)

    def test_text_body(self):
        error = exc.from_response(502, 'Bad Gateway')
        self.assertEqual('Bad Gateway', error.message)
        error = exc.from_response(502, None)
        self.assertEqual('HTTP 502', error.message)

    def test_conflict_family(self):
        self.assertTrue(issubclass(exc.InUse, exc.Conflict))
        self.assertTrue(issubclass(exc.Gone, exc.ResourceNotFound))
