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
"""Sphinx configuration of Hurtle's release notes (reno)."""

project = 'Hurtle Release Notes'
copyright = 'Hurtle developers'
author = 'Hurtle developers'

extensions = [
    'openstackdocstheme',
    'reno.sphinxext',
]

source_suffix = {'.rst': 'restructuredtext'}
root_doc = 'index'
exclude_patterns = []

language = 'en'
pygments_style = 'sphinx'
html_theme = 'openstackdocs'

# openstackdocstheme: the repository its "report a bug" and source links
# name; no Launchpad project, so no bug link.
openstackdocs_repo_name = 'hurtle/hurtle'
openstackdocs_use_storyboard = False
openstackdocs_bug_project = ''
openstackdocs_bug_tag = ''
openstackdocs_auto_name = False
html_title = 'Hurtle release notes'
html_static_path = []
