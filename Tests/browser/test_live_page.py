#!/usr/bin/env python3
"""The live feed page in a real browser (issue 6): Debian's Chromium, driven through
chromedriver by Selenium, against a real gatewayd with its SQLite store on disk.

Two browsers sign in with the development login (Alice on a desktop window, Bob on a phone-sized
one, in Chinese). Alice posts and Bob sees it live; Bob opens the thread and watches the bot's
reply stream in as a draft and settle into a comment labelled as AI; the server is stopped
mid-session, Alice comments during the outage, the server comes back, and both pages resume:
the comment is delivered once, and what each page shows matches the store, nothing lost and
nothing twice.

    python3 Tests/browser/test_live_page.py --binary .build/debug/gatewayd [--screenshots docs/screenshots]
"""
import argparse
import json
import os
import pathlib
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

PERSONA = """\
id: kiki
name: Kiki
bio: Curious assistant who reads every post.
voice:
  style: playful
triggers:
  new_post: { chance: 1.0, delay: 4s }
  reply_delay: 1s
limits:
  per_thread: { replies: 3, cooldown: 0s }
"""


class Gateway:
    """One gatewayd process on a fixed port and data directory, restartable."""

    def __init__(self, binary, port, directory):
        self.binary, self.port, self.directory = binary, port, directory
        self.personas = directory / "personas"
        (self.personas / "lexicons").mkdir(parents=True, exist_ok=True)
        (self.personas / "kiki.yaml").write_text(PERSONA)
        # The shipped situation rules: without them bots cannot tell grief from good news and stay silent.
        (self.personas / "situations").mkdir(exist_ok=True)
        shipped = pathlib.Path(__file__).resolve().parents[2] / "personas" / "situations" / "rules.yaml"
        (self.personas / "situations" / "rules.yaml").write_text(shipped.read_text(encoding="utf-8"), encoding="utf-8")
        self.process = None

    def start(self):
        log = open(self.directory / "gatewayd.log", "a")
        env = dict(os.environ, GATEWAYD_JWT_SECRET="browser-test-secret-0123456789abcdef")
        self.process = subprocess.Popen(
            [self.binary, "serve", "--port", str(self.port), "--data", str(self.directory / "data"), "--personas", str(self.personas)],
            stdout=log, stderr=log, env=env)
        deadline = time.time() + 30
        while time.time() < deadline:
            try:
                urllib.request.urlopen(f"{self.url}/readyz", timeout=1)
                return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError("gatewayd did not become ready; see gatewayd.log")

    def stop(self):
        """SIGTERM: the gateway drains (4011 to every page) and exits."""
        self.process.send_signal(signal.SIGTERM)
        self.process.wait(timeout=20)

    @property
    def url(self):
        return f"http://127.0.0.1:{self.port}"

    def get(self, path):
        with urllib.request.urlopen(self.url + path, timeout=5) as answer:
            return json.load(answer)


def browser(width, height, language=None):
    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for argument in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", f"--window-size={width},{height}"):
        options.add_argument(argument)
    if language:
        options.add_argument(f"--lang={language}")
        options.add_experimental_option("prefs", {"intl.accept_languages": language})
    driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
    driver.set_window_size(width, height)
    return driver


def wait(driver, condition, what, timeout=15):
    try:
        return WebDriverWait(driver, timeout, poll_frequency=0.1).until(lambda d: condition(d))
    except Exception:
        state = driver.execute_script("return JSON.stringify({connection: window.gatewayd?.state.connection, stats: window.gatewayd?.state.stats})")
        raise AssertionError(f"timed out waiting for {what}; page state {state}")


def page_state(driver, expression):
    return driver.execute_script(f"return {expression}")


def sign_in(driver, url, name):
    driver.get(url)
    field = wait(driver, lambda d: d.find_element(By.ID, "name-input") if d.find_element(By.ID, "name-form").is_displayed() else None, "the name form")
    field.send_keys(name)
    driver.find_element(By.CSS_SELECTOR, "#name-form button[type=submit]").click()
    wait(driver, lambda d: name in d.find_element(By.ID, "me").text or page_state(d, "window.gatewayd.state.me?.name") == name, f"{name} signed in")
    wait(driver, lambda d: d.find_element(By.ID, "connection").get_attribute("data-state") == "online"
         and not page_state(d, "window.gatewayd.state.readOnly"), f"{name} online")


def texts(driver, selector):
    return [element.text for element in driver.find_elements(By.CSS_SELECTOR, selector)]


def main():
    arguments = argparse.ArgumentParser()
    arguments.add_argument("--binary", default=".build/debug/gatewayd")
    arguments.add_argument("--screenshots", help="write feed and thread screenshots at phone and desktop widths here")
    options = arguments.parse_args()

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    directory = pathlib.Path(tempfile.mkdtemp(prefix="gatewayd-browser-"))
    gateway = Gateway(str(pathlib.Path(options.binary).resolve()), port, directory)
    gateway.start()
    alice = browser(1280, 900, "en")
    bob = browser(390, 844, "zh-CN")
    shots = pathlib.Path(options.screenshots) if options.screenshots else None
    try:
        sign_in(alice, gateway.url, "Alice")
        sign_in(bob, gateway.url, "Bob")
        assert page_state(bob, "document.documentElement.lang") == "zh-CN", "Bob's page follows his browser's language"

        # Alice posts; Bob sees it live, without reloading.
        text = f"Baked my first sourdough loaf today {uuid.uuid4().hex[:6]}"
        alice.find_element(By.ID, "post-input").send_keys(text)
        alice.find_element(By.CSS_SELECTOR, "#post-form button[type=submit]").click()
        wait(bob, lambda d: any(text in t for t in texts(d, "#posts li.post .body")), "Alice's post on Bob's page")
        assert page_state(bob, "window.gatewayd.state.stats.events") >= 1, "it came as a live event"
        post_id = gateway.get("/v1/feed?limit=5")["posts"][0]["id"]

        # Bob opens the thread before the bot answers (its delay is 4 s) and watches the draft.
        bob.find_element(By.CSS_SELECTOR, f'#posts li[data-id="{post_id}"] a.open-thread').click()
        wait(bob, lambda d: d.find_element(By.ID, "thread-view").is_displayed(), "the thread view")
        bob.execute_script("""
            window.sawDraftElement = false;
            new MutationObserver(() => { if (document.querySelector('.comment.draft')) window.sawDraftElement = true; })
              .observe(document.getElementById('comments'), {childList: true, subtree: true, characterData: true});""")
        alice.get(f"{gateway.url}/#/p/{post_id}")
        wait(alice, lambda d: d.find_element(By.ID, "thread-view").is_displayed(), "Alice in the thread")
        bot_comment = wait(bob, lambda d: d.find_elements(By.CSS_SELECTOR, '#comments li.comment.bot[data-author="b_kiki"]'), "the bot's comment", timeout=20)[0]
        badge = bot_comment.find_element(By.CSS_SELECTOR, ".ai-badge")
        author = bot_comment.find_element(By.CSS_SELECTOR, ".author").text
        assert badge.text == "AI" and badge.get_attribute("data-persona") == "kiki" and author == "Kiki", \
            f"the bot's comment is labelled as AI next to the persona's name: {badge.text!r} {author!r}"
        assert "offline" in badge.get_attribute("aria-label"), "the label names the engine that wrote it"
        assert page_state(bob, "window.gatewayd.state.stats.drafts") >= 1, "the reply streamed in as a draft"
        assert page_state(bob, "window.sawDraftElement"), "the draft was shown before it settled"
        assert not bob.find_elements(By.CSS_SELECTOR, ".comment.draft"), "the draft settled into the comment"
        assert bob.find_elements(By.CSS_SELECTOR, '#comments li.comment.bot button.mute'), "a bot comment has a mute control"

        if shots:
            shots.mkdir(parents=True, exist_ok=True)
            alice.get(f"{gateway.url}/#/")
            wait(alice, lambda d: d.find_element(By.ID, "feed-view").is_displayed(), "Alice's feed")
            time.sleep(0.5)
            alice.save_screenshot(str(shots / "feed-desktop.png"))
            alice.get(f"{gateway.url}/#/p/{post_id}")
            wait(alice, lambda d: d.find_elements(By.CSS_SELECTOR, "#comments li.comment.bot"), "Alice's thread")
            time.sleep(0.5)
            alice.save_screenshot(str(shots / "thread-desktop.png"))
            bob.save_screenshot(str(shots / "thread-phone.png"))

        # The server goes away mid-session; Alice comments during the outage.
        gateway.stop()
        for driver, name in ((alice, "Alice"), (bob, "Bob")):
            wait(driver, lambda d: d.find_element(By.ID, "connection").get_attribute("data-state") == "reconnecting", f"{name}'s page showing the outage")
        outage_text = f"Written while the server was down {uuid.uuid4().hex[:6]}"
        alice.find_element(By.ID, "comment-input").send_keys(outage_text)
        alice.find_element(By.CSS_SELECTOR, "#comment-form button[type=submit]").click()
        assert page_state(alice, "window.gatewayd.state.outbox.length") == 1, "the comment waits in the outbox"
        assert alice.find_elements(By.CSS_SELECTOR, "#comments li.comment.pending"), "and is shown as pending"

        gateway.start()
        for driver, name in ((alice, "Alice"), (bob, "Bob")):
            wait(driver, lambda d: d.find_element(By.ID, "connection").get_attribute("data-state") == "online", f"{name}'s page back online", timeout=30)
        wait(alice, lambda d: page_state(d, "window.gatewayd.state.outbox.length") == 0, "Alice's outbox delivered")
        wait(bob, lambda d: any(outage_text in t for t in texts(d, "#comments li.comment .body")), "the outage comment on Bob's page")

        # Someone else writes after the restart: both pages get it live, once.
        request = urllib.request.Request(
            f"{gateway.url}/v1/posts/{post_id}/comments", method="POST",
            data=json.dumps({"body": "Carol arrives after the restart", "client_id": "carol-1"}).encode(),
            headers={"Content-Type": "application/json", "Authorization": "Bearer " + token(gateway, "u_carol", "Carol")})
        urllib.request.urlopen(request, timeout=5).read()
        for driver in (alice, bob):
            wait(driver, lambda d: any("Carol arrives" in t for t in texts(d, "#comments li.comment .body")), "Carol's comment")

        time.sleep(1)
        stored = gateway.get(f"/v1/posts/{post_id}")["comments"]
        stored_ids = [comment["id"] for comment in stored]
        assert sum(1 for comment in stored if comment["body"] == outage_text) == 1, "the outage comment was written exactly once"
        for driver, name in ((alice, "Alice"), (bob, "Bob")):
            shown = [element.get_attribute("data-id") for element in driver.find_elements(By.CSS_SELECTOR, "#comments li.comment[data-id]")]
            assert sorted(shown) == sorted(stored_ids), f"{name}'s page shows exactly the stored comments: {shown} vs {stored_ids}"
            assert len(shown) == len(set(shown)), f"{name}'s page shows no comment twice"
            assert page_state(driver, "window.gatewayd.state.stats.resumed") >= 1, f"{name}'s page resumed its session"
        bob.get(f"{gateway.url}/#/")
        wait(bob, lambda d: d.find_element(By.ID, "feed-view").is_displayed(), "Bob's feed")
        count = bob.find_element(By.CSS_SELECTOR, f'#posts li[data-id="{post_id}"] a.open-thread').text
        assert str(len(stored_ids)) in count, f"the feed counts the thread's comments: {count!r}"
        if shots:
            time.sleep(0.5)
            bob.save_screenshot(str(shots / "feed-phone.png"))
        print(f"browser test passed: live post, streamed and labelled bot reply, restart resumed with {len(stored_ids)} comments, none lost or doubled")
    finally:
        for driver in (alice, bob):
            driver.quit()
        if gateway.process and gateway.process.poll() is None:
            gateway.stop()


def token(gateway, user, name):
    output = subprocess.run(
        [gateway.binary, "token", "--user", user, "--name", name, "--data", str(gateway.directory / "data")],
        capture_output=True, text=True, check=True,
        env=dict(os.environ, GATEWAYD_JWT_SECRET="browser-test-secret-0123456789abcdef"))
    return output.stdout.strip()


if __name__ == "__main__":
    try:
        main()
    except AssertionError as failure:
        print(f"browser test FAILED: {failure}", file=sys.stderr)
        sys.exit(1)
