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
"""A person in a browser (headless Chromium, WebDriver) uses the SM's
HTML pages against ``hurtle-all`` (noauth, the default project): lists
the services, opens the sample kind, fills its form, watches the instance
become active, reads its endpoint output and deletes it. A greeting that
is HTML (an ``<img onerror>`` and a ``<script>``) shows as text: no
alert, no injected element. Screenshots are saved and must not be blank.
"""
import urllib.parse

import fixtures
import requests
from selenium.common import exceptions
from selenium.webdriver.common import by
from selenium.webdriver.support import wait

from tests.functional import browser
from tests.functional import hurtle_fixture

INJECTED = '"><img src=x onerror=alert(1)><script>alert(2)</script>'
#: Seconds the sample instance may take to become active (or be gone).
LIFECYCLE_TIMEOUT = 240
By = by.By


class BrowserTest(hurtle_fixture.HurtleTestCase):

    @classmethod
    def make_hurtle(cls):
        return hurtle_fixture.HurtleAll(
            manifests=(hurtle_fixture.SAMPLE_MANIFEST,))

    @classmethod
    def setUpClass(cls):
        cls.paths = browser.require()
        super().setUpClass()

    def setUp(self):
        super().setUp()
        self.driver = browser.chrome(*self.paths)
        self.addCleanup(self.driver.quit)
        self.shots = self.useFixture(fixtures.TempDir()).path

    def wait_for(self, what, timeout=30):
        """Poll ``what(driver)`` through page reloads until truthy."""
        return wait.WebDriverWait(
            self.driver, timeout, poll_frequency=0.5,
            ignored_exceptions=(exceptions.StaleElementReferenceException,
                                exceptions.NoSuchElementException)
        ).until(what)

    def state(self, driver):
        return driver.find_element(By.ID, 'state').text

    def assert_not_injected(self):
        browser.assert_no_alert(self.driver)
        self.assertEqual([], self.driver.find_elements(By.TAG_NAME, 'img'))
        scripts = self.driver.find_elements(By.TAG_NAME, 'script')
        self.assertEqual([], scripts)

    def test_create_watch_and_delete_from_the_browser(self):
        driver = self.driver
        driver.get(self.hurtle.sm_url)
        self.assertEqual('Services', driver.title)
        kind = driver.find_element(By.ID, 'kind-sample')
        self.assertIn('sample.name_length', kind.text)
        self.assertIn('integer', kind.text)
        browser.screenshot(driver, self.shots, 'services', '#kind-sample')
        kind.find_element(By.TAG_NAME, 'a').click()
        self.wait_for(lambda d: d.find_element(By.ID, 'create'))
        self.assertEqual(self.hurtle.sm_url + 'sample/', driver.current_url)
        length = driver.find_element(By.NAME, 'sample.name_length')
        self.assertEqual('number', length.get_attribute('type'))
        driver.find_element(By.NAME, 'sample.greeting').send_keys(INJECTED)
        length.send_keys('6')
        browser.screenshot(driver, self.shots, 'form', 'form.create')
        driver.find_element(By.ID, 'create').click()

        self.wait_for(lambda d: d.find_element(By.ID, 'state'))
        instance = driver.current_url
        self.assertTrue(instance.startswith(self.hurtle.sm_url + 'sample/'),
                        instance)
        seen = set()

        def active(d):
            state = self.state(d)
            seen.add(state)
            self.assertNotEqual('failed', state, d.page_source[-2000:])
            return state == 'active'
        self.wait_for(active, LIFECYCLE_TIMEOUT)
        self.assertEqual(instance, driver.current_url)
        self.assert_not_injected()
        outputs = driver.find_element(By.CLASS_NAME, 'outputs')
        self.assertIn('mcn.endpoint.sample', outputs.text)
        # The sample SO percent-encodes the greeting in its endpoint URL.
        self.assertIn(urllib.parse.quote(INJECTED, safe=''), outputs.text)
        self.assertIn(INJECTED, driver.find_element(
            By.CLASS_NAME, 'attributes').text)
        browser.screenshot(driver, self.shots, 'active', 'table.outputs')

        driver.find_element(By.ID, 'delete').click()
        self.wait_for(lambda d: d.find_element(By.ID, 'create'))
        self.assertEqual(self.hurtle.sm_url + 'sample/', driver.current_url)
        path = urllib.parse.urlsplit(instance).path

        def gone(d):
            links = [a.get_attribute('href') for a in
                     d.find_elements(By.CSS_SELECTOR, 'table.instances a')]
            return instance not in links and d.find_element(
                By.ID, 'no-instances')
        self.wait_for(gone, LIFECYCLE_TIMEOUT)
        browser.screenshot(driver, self.shots, 'deleted', '#no-instances')
        self.assertEqual(404, requests.get(self.hurtle.sm_url + path[1:],
                                           timeout=10).status_code)
        self.assertNotIn('failed', seen)

    def test_screenshot_fails_on_a_broken_page(self):
        self.driver.get('data:text/html,' + urllib.parse.quote(
            '<html><body style="background:#fff"></body></html>'))
        error = self.assertRaises(AssertionError, browser.screenshot,
                                  self.driver, self.shots, 'blank', 'body')
        self.assertIn('one colour', str(error))
        self.driver.get(self.hurtle.sm_url)
        error = self.assertRaises(AssertionError, browser.screenshot,
                                  self.driver, self.shots, 'wrong',
                                  '#no-such-element')
        self.assertIn('#no-such-element', str(error))
        browser.screenshot(self.driver, self.shots, 'ok', '#kind-sample')

    def test_a_cross_site_form_cannot_create(self):
        # A page of another origin (a data: URL here) posting the form.
        page = ('<form method="post" action="%ssample/"><input name="_form"'
                ' value="create"><button id="go">go</button></form>'
                % self.hurtle.sm_url)
        self.driver.get('data:text/html,' + urllib.parse.quote(page))
        self.driver.find_element(By.ID, 'go').click()
        self.wait_for(lambda d: 'cross-site' in d.page_source)
        listing = requests.get(self.hurtle.sm_url + 'sample/',
                               headers={'Accept': 'text/uri-list'},
                               timeout=10)
        self.assertEqual('', listing.text.strip())
