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
"""A headless Chromium driven through WebDriver (selenium), for tests.

Debian's ``chromium`` and ``chromium-driver`` (``.ci/run`` installs
them); where they are missing the test is skipped, or fails in CI
(``tests.absent``). ``screenshot`` saves a PNG and fails on a broken
page (a blank, one-colour image).
"""
import io
import os
import shutil

from PIL import Image
from selenium.common import exceptions
from selenium import webdriver
from selenium.webdriver.chrome import service as chrome_service
from selenium.webdriver.common import by

from tests import absent

HINT = 'apt-get install chromium chromium-driver'
#: Where screenshots go: ``$HURTLE_TEST_ARTIFACTS`` or a temporary
#: directory the caller gives.
ARTIFACTS_ENV = 'HURTLE_TEST_ARTIFACTS'


def _find(*names):
    for name in names:
        path = shutil.which(name)
        if path:
            return path
    return None


def require():
    """``(chromium, chromedriver)`` paths; skip (or fail in CI) if not
    installed."""
    binary = _find('chromium', 'chromium-browser')
    driver = _find('chromedriver')
    if not binary or not driver:
        absent.skip_or_fail('Chromium or its WebDriver (chromedriver) is '
                            'not installed', HINT)
    return binary, driver


def chrome(binary, driver):
    """A headless Chromium session (close it with ``quit()``). An alert
    is left open (not dismissed), for :func:`assert_no_alert` to see."""
    options = webdriver.ChromeOptions()
    options.binary_location = binary
    for arg in ('--headless=new', '--no-sandbox', '--disable-gpu',
                '--disable-dev-shm-usage', '--window-size=1200,1000',
                '--no-first-run', '--disable-extensions'):
        options.add_argument(arg)
    options.unhandled_prompt_behavior = 'ignore'
    return webdriver.Chrome(options=options,
                            service=chrome_service.Service(driver))


def assert_no_alert(driver):
    """:raises AssertionError: an alert is open (a script ran)."""
    try:
        text = driver.switch_to.alert.text
    except exceptions.NoAlertPresentException:
        return
    raise AssertionError('an alert is open: %r' % text)


def screenshot(driver, directory, name, expect):
    """Save the page as ``<directory>/<name>.png``.

    :param expect: CSS selector of an element the page must have.
    :returns: the path.
    :raises AssertionError: the page has no ``expect`` element, or the
        image is blank (one colour): the page did not render.
    """
    directory = os.environ.get(ARTIFACTS_ENV) or directory
    os.makedirs(directory, exist_ok=True)
    data = driver.get_screenshot_as_png()
    path = os.path.join(directory, name + '.png')
    with open(path, 'wb') as handle:
        handle.write(data)
    if not driver.find_elements(by.By.CSS_SELECTOR, expect):
        raise AssertionError('page %s (screenshot %s) has no %s'
                             % (driver.current_url, path, expect))
    image = Image.open(io.BytesIO(data)).convert('RGB')
    low, high = zip(*image.getextrema())
    if low == high:
        raise AssertionError('screenshot %s is one colour: the page did '
                             'not render' % path)
    return path
