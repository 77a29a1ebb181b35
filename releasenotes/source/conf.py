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
"""Sphinx configuration of Hurtle's release notes (reno).

The settings shared with the documentation (theme, language, style) are
imported from doc/source/conf.py.
"""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                '..', '..', 'doc', 'source'))
from conf import author  # noqa: E402
from conf import copyright  # noqa: E402
from conf import exclude_patterns  # noqa: E402
from conf import html_theme  # noqa: E402
from conf import language  # noqa: E402
from conf import openstackdocs_auto_name  # noqa: E402
from conf import openstackdocs_bug_project  # noqa: E402
from conf import openstackdocs_bug_tag  # noqa: E402
from conf import openstackdocs_repo_name  # noqa: E402
from conf import openstackdocs_use_storyboard  # noqa: E402
from conf import pygments_style  # noqa: E402
from conf import root_doc  # noqa: E402
from conf import source_suffix  # noqa: E402

project = 'Hurtle Release Notes'
extensions = [
    'openstackdocstheme',
    'reno.sphinxext',
]
html_title = 'Hurtle release notes'
html_static_path = []

__all__ = ['author', 'copyright', 'exclude_patterns', 'html_theme',
           'language', 'openstackdocs_auto_name', 'openstackdocs_bug_project',
           'openstackdocs_bug_tag', 'openstackdocs_repo_name',
           'openstackdocs_use_storyboard', 'pygments_style', 'root_doc',
           'source_suffix', 'project', 'extensions', 'html_title',
           'html_static_path']
