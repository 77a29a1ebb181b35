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
"""``[sdc]`` options: how Hurtle's Heat plugins reach Joyent CloudAPI.

heat-engine reads this group from heat.conf when the ``sdc`` Heat client
plugin (``hurtle.heat_plugins.clients.sdc``) builds its CloudAPI client.
For the embedded Heat, ``hurtle-heat`` copies it from Hurtle's own config files
into the heat.conf it generates.
"""
from oslo_config import cfg

GROUP = 'sdc'

GROUP_TITLE = 'Joyent SDC / Triton CloudAPI'
GROUP_HELP = ('Endpoint and credentials of the CloudAPI used by the SDC::* '
              'Heat resource types.')

sdc_opts = [
    cfg.URIOpt('url',
               schemes=['http', 'https'],
               help='CloudAPI endpoint URL, e.g. '
                    'https://us-east-1.api.joyent.com.'),
    cfg.StrOpt('account',
               help='CloudAPI login (account name); requests go to '
                    '/<account>/... .'),
    cfg.StrOpt('key_file',
               help='Path of the private key (RSA, ECDSA or Ed25519; PEM or '
                    'OpenSSH format, unencrypted) whose public half is '
                    'registered on the account. Requests are signed with '
                    'it (HTTP Signature over the Date header).'),
    cfg.StrOpt('key_id',
               help='Key name sent in the signature keyId '
                    '(/<account>/keys/<key_id>). Default: the MD5 '
                    'fingerprint of the key, as CloudAPI expects.'),
    cfg.StrOpt('api_version',
               default='~9||~8',
               help='Value of the Accept-Version header sent with every '
                    'request (a semver range).'),
    cfg.BoolOpt('insecure',
                default=False,
                help='Skip TLS certificate verification. Only for test '
                     'endpoints with self-signed certificates.'),
    cfg.StrOpt('ca_file',
               help='CA bundle used to verify the CloudAPI TLS certificate '
                    '(default: the system bundle).'),
    cfg.FloatOpt('timeout',
                 default=30.0,
                 min=0.1,
                 help='Timeout in seconds of one HTTP request to CloudAPI.'),
    cfg.IntOpt('retries',
               default=3,
               min=0,
               help='How many times a request is retried, with exponential '
                    'backoff, after a 503 answer or a connection error.'),
]


def register_opts(conf):
    # A new OptGroup per ConfigOpts: oslo.config keeps per-instance option
    # state (overrides) inside the group object it is given.
    conf.register_group(cfg.OptGroup(GROUP, title=GROUP_TITLE,
                                     help=GROUP_HELP))
    conf.register_opts(sdc_opts, group=GROUP)


def list_opts():
    return {GROUP: sdc_opts}
