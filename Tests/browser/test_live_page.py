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
from selenium.webdriver.common.keys import Keys
from selenium.common.exceptions import NoSuchElementException, StaleElementReferenceException
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

    def __init__(self, binary, port, directory, env=None, persona=True):
        self.binary, self.port, self.directory, self.env = binary, port, directory, env or {}
        self.personas = directory / "personas"
        (self.personas / "lexicons").mkdir(parents=True, exist_ok=True)
        if persona:
            (self.personas / "kiki.yaml").write_text(PERSONA)
        # The shipped situation rules: without them bots cannot tell grief from good news and stay silent.
        (self.personas / "situations").mkdir(exist_ok=True)
        shipped = pathlib.Path(__file__).resolve().parents[2] / "personas" / "situations" / "rules.yaml"
        (self.personas / "situations" / "rules.yaml").write_text(shipped.read_text(encoding="utf-8"), encoding="utf-8")
        self.process = None

    def start(self):
        log = open(self.directory / "gatewayd.log", "a")
        env = dict(os.environ, GATEWAYD_JWT_SECRET="browser-test-secret-0123456789abcdef", **self.env)
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


def wait(driver, condition, what, timeout=15, post=None):
    # A live page rebuilds what changed: an element found a moment ago may be gone (stale) by the
    # time it is read; that is a reason to look again, not a failure.
    try:
        return WebDriverWait(driver, timeout, poll_frequency=0.1, ignored_exceptions=(NoSuchElementException, StaleElementReferenceException)) \
            .until(lambda d: condition(d))
    except Exception:
        state = driver.execute_script("""return JSON.stringify({connection: window.gatewayd?.state.connection, stats: window.gatewayd?.state.stats,
            post: window.gatewayd?.state.posts.get(arguments[0]), stream: window.gatewayd?.state.streams.get('thread:' + arguments[0])})""", post)
        raise AssertionError(f"timed out waiting for {what}; page state {state}")


def click(driver, selector):
    """Clicks what the selector finds, looking again if the live page rebuilt it meanwhile."""
    for attempt in range(5):
        try:
            driver.find_element(By.CSS_SELECTOR, selector).click()
            return
        except StaleElementReferenceException:
            if attempt == 4:
                raise
            time.sleep(0.1)


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
        text = f"Baked my first sourdough loaf today! {uuid.uuid4().hex[:6]}"
        alice.find_element(By.ID, "post-input").send_keys(text)
        click(alice, "#post-form button[type=submit]")
        wait(bob, lambda d: any(text in t for t in texts(d, "#posts li.post .body")), "Alice's post on Bob's page")
        assert page_state(bob, "window.gatewayd.state.stats.events") >= 1, "it came as a live event"
        post_id = gateway.get("/v1/feed?limit=5")["posts"][0]["id"]

        # Bob opens the thread before the bot answers (its delay is 4 s) and watches the draft.
        click(bob, f'#posts li[data-id="{post_id}"] a.open-thread')
        wait(bob, lambda d: d.find_element(By.ID, "thread-view").is_displayed(), "the thread view")
        bob.execute_script("""
            window.sawDraftElement = false;
            new MutationObserver(() => { if (document.querySelector('.comment.draft')) window.sawDraftElement = true; })
              .observe(document.getElementById('comments'), {childList: true, subtree: true, characterData: true});""")
        alice.get(f"{gateway.url}/#/p/{post_id}")
        wait(alice, lambda d: d.find_element(By.ID, "thread-view").is_displayed(), "Alice in the thread")
        wait(bob, lambda d: d.find_elements(By.CSS_SELECTOR, '#comments li.comment.bot[data-author="b_kiki"]'), "the bot's comment", timeout=20)
        label = page_state(bob, """(() => {
            const comment = document.querySelector('#comments li.comment.bot[data-author="b_kiki"]');
            const badge = comment.querySelector('.ai-badge');
            return { badge: badge.textContent, persona: badge.dataset.persona, aria: badge.getAttribute('aria-label'),
                     author: comment.querySelector('.author').textContent, handle: comment.querySelector('.handle').textContent };
        })()""")
        assert label["badge"] == "AI" and label["persona"] == "kiki" and label["author"] == "Kiki", \
            f"the bot's comment is labelled as AI next to the persona's name: {label}"
        assert label["handle"] == "@kiki", "the persona's handle is beside its name"
        assert "offline" in label["aria"], "the label names the engine that wrote it"
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
        click(alice, "#comment-form button[type=submit]")
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
        count = page_state(bob, f"document.querySelector('#posts li[data-id=\"{post_id}\"] a.open-thread').textContent")
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
    living_feed(options, shots)


def api(gateway, method, path, user, body=None):
    request = urllib.request.Request(
        f"{gateway.url}{path}", method=method, data=json.dumps(body).encode() if body is not None else None,
        headers={"Content-Type": "application/json", "Authorization": "Bearer " + token(gateway, user, user[2:].title())})
    with urllib.request.urlopen(request, timeout=5) as answer:
        return json.load(answer)


def rect_top(driver, selector):
    return page_state(driver, f"document.querySelector({json.dumps(selector)}).getBoundingClientRect().top")


def living_feed(options, shots):
    """Issue 21: the feed as people keep it open. 70 posts, older ones reached; a burst while one
    reads keeps the place and the focus behind a pill; counts and reactions change in place; a
    reply and a mention ring the bell; refused and rate-limited posts keep their text; delete asks
    first; reactions stay marked after a reload; signing out leaves nothing to click; the phone
    width has 44 px targets; the dark theme is dark."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    directory = pathlib.Path(tempfile.mkdtemp(prefix="gatewayd-browser-feed-"))
    gateway = Gateway(str(pathlib.Path(options.binary).resolve()), port, directory,
                      env={"GATEWAYD_WRITES_POSTS_PER_MINUTE": "4"}, persona=False)
    gateway.start()
    tokens = {}

    def as_user(user):
        if user not in tokens:
            tokens[user] = token(gateway, user, user[2:].title())
        return user

    long_body = "A long story. " + "It goes on and on, line after line. " * 60
    for index in range(1, 71):
        author = as_user(f"u_writer{(index - 1) // 4}")
        body = long_body if index == 69 else f"Post number {index}"
        if index == 70:
            body = "Read https://example.com/guide. and tell @dev_bob, not javascript:alert(1)"
        api(gateway, "POST", "/v1/posts", author, {"body": body, "client_id": f"seed-{index}", "bots": "off"})

    alice = browser(1280, 900, "en")
    bob = browser(390, 844, "zh-CN")
    try:
        sign_in(alice, gateway.url, "Alice")
        sign_in(bob, gateway.url, "Bob")

        # What a post shows: relative times with the exact one on hover, initials, safe links, mentions, show more.
        wait(alice, lambda d: len(d.find_elements(By.CSS_SELECTOR, "#posts li.post[data-id]")) == 20, "the first page of the feed")
        # Read in one script: the live page may rebuild a card between two reads.
        shown = page_state(alice, """(() => {
            const q = (selector) => document.querySelector(selector);
            const link = q('#posts li.post .body a');
            return { time: q('#posts li.post time').textContent, title: q('#posts li.post time').title,
                     avatar: q('#posts li.post .avatar').textContent, href: link.href, rel: link.rel,
                     scripts: document.querySelectorAll('#posts a[href^="javascript"]').length,
                     mention: q('#posts li.post .mention').textContent,
                     clamped: q('#posts li.post .body.clamped').getBoundingClientRect().height };
        })()""")
        assert shown["time"] in ("just now", "now") or "ago" in shown["time"], f"relative time: {shown['time']!r}"
        assert shown["title"], "the exact time on hover"
        assert shown["avatar"] == "W", "initials avatar"
        assert shown["href"] == "https://example.com/guide" and "noopener" in shown["rel"] and "noreferrer" in shown["rel"], \
            f"a safe link without the sentence's full stop: {shown['href']}"
        assert shown["scripts"] == 0, "no script links"
        assert shown["mention"] == "@dev_bob", "the mention is highlighted"
        assert shown["clamped"] < 250, f"a long post is clamped: {shown['clamped']}"
        click(alice, "#posts li.post button.more")
        wait(alice, lambda d: d.find_element(By.CSS_SELECTOR, "#posts li.post button.more").get_attribute("aria-expanded") == "true", "show more")

        # The oldest post is reached by scrolling.
        for _ in range(40):
            if alice.find_element(By.ID, "feed-end").is_displayed():
                break
            alice.execute_script("window.scrollTo(0, document.body.scrollHeight)")
            time.sleep(0.3)
        assert alice.find_element(By.ID, "feed-end").is_displayed(), "the end of the feed is reached"
        bodies = texts(alice, "#posts li.post .body")
        assert len(bodies) == 70 and "Post number 1" in bodies, f"all 70 posts, the oldest included: {len(bodies)}"

        # A burst while Alice reads further down: her place and her focus stay, a pill counts them.
        target = gateway.get("/v1/feed?limit=40")["posts"][35]["id"]
        card = f'#posts li[data-id="{target}"]'
        alice.execute_script(f"document.querySelector({json.dumps(card)}).scrollIntoView({{block: 'center'}})")
        time.sleep(0.3)
        button_key = f"{target}:react:👍"
        alice.execute_script(f"document.querySelector('[data-key=\"{button_key}\"]').focus()")
        scroll_before, top_before = page_state(alice, "window.scrollY"), rect_top(alice, card)
        for index in range(3):
            api(gateway, "POST", "/v1/posts", as_user("u_carol"), {"body": f"Burst {index}", "client_id": f"burst-{index}", "bots": "off"})
        wait(alice, lambda d: d.find_element(By.ID, "new-posts").is_displayed() and "3" in d.find_element(By.ID, "new-posts").text, "the new-posts pill")
        assert page_state(alice, "window.scrollY") == scroll_before and abs(rect_top(alice, card) - top_before) < 2, "the reader's place is kept"
        assert page_state(alice, "document.activeElement.dataset.key") == button_key, "focus is kept"
        assert alice.title.startswith("(3)"), f"the tab title counts them: {alice.title!r}"

        # Counts and reactions change in place on the card being read, focus still there.
        api(gateway, "POST", f"/v1/posts/{target}/comments", "u_carol", {"body": "Nice one", "client_id": "count-1"})
        api(gateway, "POST", f"/v1/posts/{target}/comments", "u_carol", {"body": "Still nice", "client_id": "count-2"})
        wait(alice, lambda d: "2 comments" in d.find_element(By.CSS_SELECTOR, f"{card} a.open-thread").text, "the comment count in place", post=target)
        click(alice, f'[data-key="{target}:react:❤️"]')
        wait(alice, lambda d: d.find_element(By.CSS_SELECTOR, f'[data-key="{target}:react:❤️"]').text == "❤️ 1", "the reaction counted", post=target)
        assert page_state(alice, "document.activeElement.dataset.key") == f"{target}:react:❤️", "focus stays on the button pressed"
        assert "❤️" in page_state(alice, f"document.querySelector('[data-key=\"{target}:react:❤️\"]').getAttribute('aria-label')")
        alice.find_element(By.ID, "new-posts").click()
        wait(alice, lambda d: texts(d, "#posts li.post .body")[0] == "Burst 2", "the held posts on top")
        assert not alice.find_element(By.ID, "new-posts").is_displayed(), "the pill is gone"

        # A reply and a mention ring the bell.
        alice.find_element(By.ID, "post-input").send_keys("Hello from Alice")
        click(alice, "#post-form button[type=submit]")
        wait(alice, lambda d: d.find_element(By.ID, "post-input").get_attribute("value") == "", "the post acknowledged")
        own = gateway.get("/v1/feed?limit=1")["posts"][0]
        assert own["body"] == "Hello from Alice"
        reply = api(gateway, "POST", f"/v1/posts/{own['id']}/comments", "u_carol", {"body": "Congrats, Alice!", "client_id": "reply-1"})["comment"]
        api(gateway, "POST", "/v1/posts", "u_carol", {"body": "Look at this @dev_alice", "client_id": "mention-1", "bots": "off"})
        wait(alice, lambda d: d.find_element(By.ID, "bell-count").text == "2", "two unread on the bell")
        assert "2" in alice.find_element(By.ID, "bell").get_attribute("aria-label")
        alice.find_element(By.ID, "bell").click()
        wait(alice, lambda d: len(d.find_elements(By.CSS_SELECTOR, "#notification-list li")) == 2, "the notifications listed")
        wait(alice, lambda d: any("Congrats, Alice!" in t for t in texts(d, "#notification-list .snippet")), "the reply's words in the list")
        items = texts(alice, "#notification-list li .what")
        assert any("replied" in item for item in items) and any("mentioned" in item for item in items), f"who did what: {items}"
        assert not alice.find_element(By.ID, "bell-count").is_displayed(), "opened is read"
        click(alice, f'#notification-list a[href$="/c/{reply["id"]}"]')
        wait(alice, lambda d: d.find_elements(By.CSS_SELECTOR, f'#comments li.comment.focused[data-id="{reply["id"]}"]'), "the reply shown in its thread")
        # A reply to a comment deleted since stays readable.
        parent = api(gateway, "POST", f"/v1/posts/{own['id']}/comments", "dev_alice", {"body": "Thanks!", "client_id": "parent-1"})["comment"]
        child = api(gateway, "POST", f"/v1/posts/{own['id']}/comments", "u_carol",
                    {"body": "You're welcome", "client_id": "child-1", "parent_id": parent["id"]})["comment"]
        api(gateway, "DELETE", f"/v1/comments/{parent['id']}", "dev_alice")
        wait(alice, lambda d: d.find_elements(By.CSS_SELECTOR, f'#comments li.comment.gone li.comment[data-id="{child["id"]}"]'),
             "a reply to a deleted comment, still shown")
        click(alice, f'[data-key="{reply["id"]}:react:👍"]')
        wait(alice, lambda d: d.find_element(By.CSS_SELECTOR, f'[data-key="{reply["id"]}:react:👍"]').get_attribute("aria-pressed") == "true", "reacted")
        alice.get(f"{gateway.url}/#/")

        # A post over the limit keeps its text; so does one the server refuses.
        wait(alice, lambda d: d.find_element(By.ID, "post-form").is_displayed(), "the post form")
        too_long = "x" * 4100
        alice.execute_script("const box = document.getElementById('post-input'); box.value = arguments[0]; box.dispatchEvent(new Event('input'));", too_long)
        assert "4100 / 4000" in alice.find_element(By.ID, "post-counter").text, "the counter"
        click(alice, "#post-form button[type=submit]")
        wait(alice, lambda d: "4100" in d.find_element(By.ID, "post-status").text, "the refusal, in words")
        assert alice.find_element(By.ID, "post-input").get_attribute("value") == too_long, "the text is kept"
        alice.execute_script("const box = document.getElementById('post-input'); box.value = 'Bell \u0007 rings'; box.dispatchEvent(new Event('input'));")
        click(alice, "#post-form button[type=submit]")
        wait(alice, lambda d: "check the text" in d.find_element(By.ID, "post-status").text, "the server's refusal as a sentence")
        assert "\u0007" in alice.find_element(By.ID, "post-input").get_attribute("value"), "kept after the server's refusal"

        # Four posts a minute: the fifth of Alice's waits with a countdown, and can be cancelled.
        for index in range(3):
            alice.execute_script("const box = document.getElementById('post-input'); box.value = arguments[0]; box.dispatchEvent(new Event('input'));", f"Quick {index}")
            click(alice, "#post-form button[type=submit]")
            wait(alice, lambda d: d.find_element(By.ID, "post-input").get_attribute("value") == "", f"quick post {index}")
        alice.find_element(By.ID, "post-input").send_keys("One too many")
        alice.find_element(By.ID, "post-input").send_keys(Keys.CONTROL, Keys.ENTER)
        wait(alice, lambda d: "s." in d.find_element(By.ID, "post-status").text and any(ch.isdigit() for ch in d.find_element(By.ID, "post-status").text),
             "the countdown")
        assert alice.find_element(By.ID, "post-input").get_attribute("value") == "One too many", "the text waits in the box"
        click(alice, "#post-status button")
        wait(alice, lambda d: page_state(d, "window.gatewayd.state.outbox.length") == 0, "the queued post cancelled")
        assert alice.find_element(By.ID, "post-input").get_attribute("readonly") is None, "the box is editable again"
        assert alice.find_element(By.ID, "post-input").get_attribute("value") == "One too many"

        # Delete asks first.
        own_card = f'#posts li[data-id="{own["id"]}"]'
        click(alice, f'[data-key="{own["id"]}:delete"]')
        wait(alice, lambda d: d.find_elements(By.CSS_SELECTOR, f'[data-key="{own["id"]}:confirm"]'), "the confirmation")
        assert page_state(alice, "window.gatewayd.state.outbox.length") == 0, "nothing sent before confirming"
        click(alice, f'[data-key="{own["id"]}:keep"]')
        assert alice.find_elements(By.CSS_SELECTOR, own_card), "kept"
        assert page_state(alice, "document.activeElement.dataset.key") == f'{own["id"]}:delete', "focus back on Delete"

        # Reactions stay marked after a reload, on posts and on comments.
        alice.get(f"{gateway.url}/#/p/{own['id']}")
        alice.refresh()
        wait(alice, lambda d: d.find_element(By.CSS_SELECTOR, f'[data-key="{reply["id"]}:react:👍"]').get_attribute("aria-pressed") == "true",
             "the comment reaction marked after a reload")

        # Signing out leaves nothing that acts as Alice, in this tab or another.
        alice.find_element(By.CSS_SELECTOR, f'[data-key="{reply["id"]}:reply"]')
        first_tab = alice.current_window_handle
        alice.switch_to.new_window("tab")
        alice.get(f"{gateway.url}/#/")
        wait(alice, lambda d: d.find_element(By.ID, "post-form").is_displayed(), "Alice's second tab")
        alice.switch_to.window(first_tab)
        alice.find_element(By.ID, "signout").click()
        wait(alice, lambda d: d.find_element(By.ID, "signin").is_displayed(), "the sign-in form")
        actionable = page_state(alice, """[...document.querySelectorAll('#thread-view button, #feed-view button')]
            .filter((b) => !b.disabled && b.offsetParent !== null && !b.classList.contains('more') && b.id !== 'older').map((b) => b.outerHTML)""")
        assert actionable == [], f"nothing to click as Alice after signing out: {actionable}"
        assert page_state(alice, "window.gatewayd.state.outbox.length") == 0 and page_state(alice, "document.getElementById('post-input').value") == ""
        alice.switch_to.window([handle for handle in alice.window_handles if handle != first_tab][0])
        wait(alice, lambda d: d.find_element(By.ID, "signin").is_displayed() and not d.find_element(By.ID, "post-form").is_displayed(),
             "the other tab signed out too")
        alice.close()
        alice.switch_to.window(first_tab)

        # Bob's phone: 44 px targets, no wrapped buttons; then the dark theme.
        wait(bob, lambda d: d.find_elements(By.CSS_SELECTOR, "#posts li.post button.reaction"), "Bob's feed")
        small = page_state(bob, """[...document.querySelectorAll('button')].filter((b) => b.offsetParent !== null)
            .map((b) => b.getBoundingClientRect()).filter((r) => r.height < 44 || r.width < 44).length""")
        assert small == 0, f"{small} buttons under 44 px on the phone"
        wrapped = page_state(bob, """[...document.querySelectorAll('button')].filter((b) => b.offsetParent !== null)
            .filter((b) => b.getBoundingClientRect().height > 60).map((b) => b.textContent)""")
        assert wrapped == [], f"buttons whose label wraps: {wrapped}"
        if shots:
            bob.save_screenshot(str(shots / "feed-phone-live.png"))
        bob.execute_cdp_cmd("Emulation.setEmulatedMedia", {"features": [{"name": "prefers-color-scheme", "value": "dark"}]})
        time.sleep(0.3)
        background = page_state(bob, "getComputedStyle(document.body).backgroundColor")
        channels = [int(part) for part in background[background.index("(") + 1:background.index(")")].split(",")[:3]]
        assert sum(channels) < 150, f"the dark theme is dark: {background}"
        if shots:
            bob.save_screenshot(str(shots / "feed-phone-dark.png"))
            alice.execute_cdp_cmd("Emulation.setEmulatedMedia", {"features": [{"name": "prefers-color-scheme", "value": "dark"}]})
            alice.get(f"{gateway.url}/#/p/{target}")
            wait(alice, lambda d: d.find_elements(By.CSS_SELECTOR, "#comments li.comment"), "a thread in the dark")
            time.sleep(0.3)
            alice.save_screenshot(str(shots / "thread-desktop-dark.png"))
        print("browser test passed: 70 posts to the oldest, a burst held behind the pill with place and focus kept, counts in place, "
              "the bell, refused and rate-limited posts kept, delete confirmed, reactions after a reload, nothing after sign-out, phone and dark")
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
