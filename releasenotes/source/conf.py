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

extensions = ['reno.sphinxext']

source_suffix = {'.rst': 'restructuredtext'}
root_doc = 'index'
exclude_patterns = []

language = 'en'
pygments_style = 'sphinx'
html_theme = 'alabaster'
html_title = 'Hurtle release notes'
html_static_path = []
