#!/usr/bin/env python3
"""Every kind of frame a running gateway sends, checked against the AsyncAPI document it serves:
a client generated from that document must accept what the server really says.

Two users and an anonymous reader go through a session that makes the server send every op
(hello, ready, pong, subscribed, unsubscribed, ack of each write, error, typing, draft, event of
every type) and each frame is validated against the payload schema of its message. Exits 1 with
the frames that do not match, or when a kind of frame never came.

    python3 scripts/validate-frames.py --port PORT --binary .build/debug/gatewayd --data DIR

(scripts/schemathesis.sh runs it against the gateway it starts.)
"""
import argparse
import asyncio
import copy
import json
import subprocess
import sys
import time
import urllib.request

import jsonschema
import websockets
import yaml

# The server's ops and the AsyncAPI messages that describe them.
MESSAGES = {"hello": "hello", "ready": "ready", "pong": "pong", "ack": "ack", "error": "error", "subscribed": "subscribed",
            "unsubscribed": "unsubscribed", "event": "event", "typing": "typing", "draft": "draft"}
EVENT_TYPES = {"post.created", "post.deleted", "comment.created", "comment.deleted", "reaction.changed", "mention", "reply"}


def resolved(document, node):
    """The node with every local $ref replaced by what it points to (the schemas have no cycles)."""
    if isinstance(node, dict):
        if "$ref" in node and node["$ref"].startswith("#/"):
            target = document
            for part in node["$ref"][2:].split("/"):
                target = target[part]
            return resolved(document, copy.deepcopy(target))
        return {key: resolved(document, value) for key, value in node.items()}
    if isinstance(node, list):
        return [resolved(document, value) for value in node]
    return node


class Client:
    def __init__(self, name, socket, seen):
        self.name, self.socket, self.seen, self.inbox = name, socket, seen, []

    async def send(self, frame):
        await self.socket.send(json.dumps(frame))

    async def until(self, predicate, what, timeout=15):
        """Reads frames (recording each) until one satisfies `predicate`."""
        deadline = time.monotonic() + timeout
        for frame in self.inbox:
            if predicate(frame):
                self.inbox.remove(frame)
                return frame
        while time.monotonic() < deadline:
            try:
                raw = await asyncio.wait_for(self.socket.recv(), timeout=max(0.05, deadline - time.monotonic()))
            except asyncio.TimeoutError:
                break
            frame = json.loads(raw)
            self.seen.append((self.name, frame))
            if predicate(frame):
                return frame
            self.inbox.append(frame)
        raise RuntimeError(f"{self.name}: no {what} within {timeout} s")


def token(binary, data, user, role="user"):
    return subprocess.run([binary, "token", "--user", user, "--name", user[2:].title(), "--role", role, "--data", data],
                          capture_output=True, text=True, check=True).stdout.strip()


async def session(port, binary, data):
    seen = []
    url = f"ws://127.0.0.1:{port}/v1/ws"
    epoch = json.load(urllib.request.urlopen(f"http://127.0.0.1:{port}/v1/feed?limit=1"))["epoch"]
    async with websockets.connect(url) as a_socket, websockets.connect(url) as b_socket, websockets.connect(url) as r_socket:
        alice, bob, reader = Client("alice", a_socket, seen), Client("bob", b_socket, seen), Client("reader", r_socket, seen)
        for client, user in ((alice, "u_alice"), (bob, "u_bob"), (reader, None)):
            await client.until(lambda f: f.get("op") == "hello", "hello")
            await client.send({"op": "identify", "token": token(binary, data, user)} if user else {"op": "identify"})
            await client.until(lambda f: f.get("op") == "ready", "ready")
        await alice.send({"op": "ping", "t": 1})
        await alice.until(lambda f: f.get("op") == "pong", "pong")
        await reader.send({"op": "sub", "id": 1, "stream": "feed"})
        await reader.until(lambda f: f.get("op") == "subscribed", "subscribed")
        for client, user in ((alice, "u_alice"), (bob, "u_bob")):
            await client.send({"op": "sub", "id": "u", "stream": f"user:{user}", "since": None})
            await client.until(lambda f: f.get("op") == "subscribed", "subscribed to the user stream")

        # A post the shipped personas answer (drafts, a bot's comment), and one without bots.
        await alice.send({"op": "post", "id": 2, "body": "Baked my first sourdough loaf today, so proud!", "client_id": "v-1"})
        post = (await alice.until(lambda f: f.get("op") == "ack" and f.get("id") == 2, "the post's ack"))["result"]["post"]
        await reader.until(lambda f: f.get("type") == "post.created", "post.created")
        thread = f"thread:{post['id']}"
        for client in (alice, bob):
            await client.send({"op": "sub", "id": 3, "stream": thread, "since": {"offset": 0, "epoch": epoch}})
            await client.until(lambda f: f.get("op") == "subscribed" and f.get("id") == 3, "subscribed to the thread")
        await bob.send({"op": "comment", "id": 4, "post_id": post["id"], "body": "Looks great @u_alice", "client_id": "v-2", "parent_id": None})
        comment = (await bob.until(lambda f: f.get("op") == "ack" and f.get("id") == 4, "the comment's ack"))["result"]["comment"]
        await alice.until(lambda f: f.get("type") == "mention" or f.get("type") == "reply", "a notice")
        await alice.send({"op": "comment", "id": 5, "post_id": post["id"], "parent_id": comment["id"], "body": "Thanks!", "client_id": "v-3"})
        await alice.until(lambda f: f.get("op") == "ack" and f.get("id") == 5, "the reply's ack")
        await bob.until(lambda f: f.get("type") == "reply", "reply")
        await alice.send({"op": "react", "id": 6, "target": comment["id"], "emoji": "👍", "on": True})
        await alice.until(lambda f: f.get("op") == "ack" and f.get("id") == 6, "the reaction's ack")
        await bob.until(lambda f: f.get("type") == "reaction.changed", "reaction.changed")
        await bob.send({"op": "typing", "stream": thread})
        await alice.until(lambda f: f.get("op") == "typing", "typing")
        await alice.until(lambda f: f.get("op") == "draft", "a bot's draft", timeout=30)
        bot_comment = (await alice.until(lambda f: f.get("type") == "comment.created" and f["data"]["author"]["kind"] == "bot",
                                         "the bot's comment", timeout=30))["data"]
        await alice.send({"op": "mute", "id": 7, "bot": bot_comment["author"]["id"], "scope": thread, "on": True})
        await alice.until(lambda f: f.get("op") == "ack" and f.get("id") == 7, "the mute's ack")
        await bob.send({"op": "delete", "id": 8, "target": comment["id"]})
        await bob.until(lambda f: f.get("op") == "ack" and f.get("id") == 8, "the delete's ack")
        await alice.until(lambda f: f.get("type") == "comment.deleted", "comment.deleted")
        await bob.send({"op": "comment", "id": 9, "post_id": post["id"], "body": "Looks great @u_alice", "client_id": "v-2"})
        retried = await bob.until(lambda f: f.get("op") == "ack" and f.get("id") == 9, "the retried comment's ack")
        assert retried["result"]["comment"].get("deleted") is True, "a retry of a deleted write answers it deleted"
        await alice.send({"op": "delete", "id": 10, "target": post["id"]})
        await alice.until(lambda f: f.get("op") == "ack" and f.get("id") == 10, "the post delete's ack")
        await reader.until(lambda f: f.get("type") == "post.deleted", "post.deleted")
        await reader.send({"op": "nonsense", "id": 11})
        await reader.until(lambda f: f.get("op") == "error", "error")
        await reader.send({"op": "unsub", "id": 12, "stream": "feed"})
        await reader.until(lambda f: f.get("op") == "unsubscribed", "unsubscribed")
        await bob.send({"op": "unsub", "id": 13, "stream": thread})
        await bob.until(lambda f: f.get("op") == "unsubscribed", "unsubscribed from the thread")
    return seen


def main():
    arguments = argparse.ArgumentParser()
    arguments.add_argument("--port", type=int, required=True)
    arguments.add_argument("--binary", required=True)
    arguments.add_argument("--data", required=True)
    options = arguments.parse_args()
    document = yaml.safe_load(urllib.request.urlopen(f"http://127.0.0.1:{options.port}/v1/asyncapi.yaml"))
    validators = {op: jsonschema.Draft202012Validator(resolved(document, document["components"]["messages"][name]["payload"]))
                  for op, name in MESSAGES.items()}
    seen = asyncio.run(session(options.port, options.binary, options.data))
    problems, ops, types = [], set(), set()
    for who, frame in seen:
        op = frame.get("op")
        ops.add(op)
        if op == "event":
            types.add(frame.get("type"))
        validator = validators.get(op)
        if validator is None:
            problems.append(f"{who}: op {op!r} is not in the AsyncAPI document: {json.dumps(frame)[:300]}")
            continue
        for error in validator.iter_errors(frame):
            problems.append(f"{who}: {op} frame does not match its schema at {list(error.absolute_path)}: {error.message[:200]}\n  {json.dumps(frame)[:400]}")
    missing = (set(MESSAGES) - ops) | (EVENT_TYPES - types)
    if missing:
        problems.append(f"never sent in this session: {sorted(missing)}")
    print(f"{len(seen)} frames of {len(ops)} ops and {len(types)} event types checked against /v1/asyncapi.yaml")
    if problems:
        print("\n".join(problems))
        sys.exit(1)


if __name__ == "__main__":
    main()
