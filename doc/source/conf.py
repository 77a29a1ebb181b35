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
"""Sphinx configuration of Hurtle's documentation."""
import os
import sys

project = 'Hurtle'
copyright = 'Hurtle developers'
author = 'Hurtle developers'

# doc/source/_ext: Hurtle's own directives (the Heat resource reference).
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                '_ext'))

extensions = [
    'heat_resource_reference',
    'openstackdocstheme',
    'oslo_config.sphinxext',
    'oslo_config.sphinxconfiggen',
    'oslo_policy.sphinxext',
    'oslo_policy.sphinxpolicygen',
]

# oslo_config.sphinxconfiggen: writes _static/hurtle.conf.sample at each
# build (the same generator configuration as ``tox -e genconfig``).
config_generator_config_file = (
    '../../etc/hurtle/hurtle-config-generator.conf')
sample_config_basename = '_static/hurtle'
# oslo_policy.sphinxpolicygen: writes _static/hurtle.policy.yaml.sample.
policy_generator_config_file = (
    '../../etc/hurtle/hurtle-policy-generator.conf')
sample_policy_basename = '_static/hurtle'

source_suffix = {'.rst': 'restructuredtext'}
root_doc = 'index'
exclude_patterns = []

language = 'en'
pygments_style = 'sphinx'
# No autodoc; the configuration and policy references import hurtle's
# option and policy lists through their entry points (tox installs hurtle).
html_theme = 'openstackdocs'

# openstackdocstheme: the repository its "report a bug" and source links
# name; no Launchpad project, so no bug link.
openstackdocs_repo_name = 'hurtle/hurtle'
openstackdocs_use_storyboard = False
openstackdocs_bug_project = ''
openstackdocs_bug_tag = ''
openstackdocs_auto_name = False
html_title = 'Hurtle documentation'
html_static_path = ['_static']
nitpicky = True
