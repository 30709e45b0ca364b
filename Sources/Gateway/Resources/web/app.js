// The live feed page: a reference client of PROTOCOL.md. It loads a snapshot over HTTP, then
// subscribes `since` the snapshot's offset; it keeps the last offset of every stream, so after a
// drop or a 4011 it reconnects with backoff and resumes without a gap or a duplicate; every write
// carries a client_id and waits in an outbox until acknowledged, so a retry after a reconnect is
// never written twice.
"use strict";

(() => {
  const $ = (id) => document.getElementById(id);

  const TEXT = {
    en: {
      title: "Live feed", signOut: "Sign out", signInTitle: "Join the conversation", nameLabel: "Your name",
      signIn: "Sign in", devHint: "Development mode: any name signs you in on this machine.",
      tokenLabel: "Your access token", justRead: "Just read", postLabel: "New post", postPlaceholder: "What's happening?",
      botsOff: "No bot replies", post: "Post", empty: "Nothing here yet. Say something!", back: "← Feed",
      commentLabel: "Your comment", commentPlaceholder: "Write a comment", comment: "Comment", reply: "Reply",
      replyingTo: "Replying to {0}", cancel: "Cancel", comments: "{0} comments", oneComment: "1 comment", noComments: "Comment",
      del: "Delete", mute: "Mute in this thread", unmute: "Unmute", ai: "AI", aiLabel: "AI assistant {0}",
      typingOne: "{0} is typing…", typingMany: "{0} are typing…", writing: "writing…",
      connecting: "Connecting…", online: "Live", reconnecting: "Reconnecting in {0}s…", offline: "Offline",
      waiting: "{0} waiting to send", readOnly: "Reading only", deleted: "This post was deleted.",
      expired: "Your session ended; sign in again.", failed: "Not sent: {0}", signedInAs: "Signed in as {0}",
      react: "React with {0}", pending: "sending…", you: "you",
    },
    zh: {
      title: "实时动态", signOut: "退出", signInTitle: "加入讨论", nameLabel: "你的名字",
      signIn: "登录", devHint: "开发模式:在本机输入任意名字即可登录。",
      tokenLabel: "你的访问令牌", justRead: "只看看", postLabel: "新帖子", postPlaceholder: "有什么新鲜事?",
      botsOff: "不要机器人回复", post: "发布", empty: "这里还没有内容,来说点什么吧!", back: "← 动态",
      commentLabel: "你的评论", commentPlaceholder: "写评论", comment: "评论", reply: "回复",
      replyingTo: "回复 {0}", cancel: "取消", comments: "{0} 条评论", oneComment: "1 条评论", noComments: "评论",
      del: "删除", mute: "在此帖中屏蔽", unmute: "取消屏蔽", ai: "AI", aiLabel: "AI 助手 {0}",
      typingOne: "{0} 正在输入…", typingMany: "{0} 正在输入…", writing: "正在写…",
      connecting: "连接中…", online: "实时", reconnecting: "{0} 秒后重连…", offline: "离线",
      waiting: "{0} 条待发送", readOnly: "只读", deleted: "这个帖子已被删除。",
      expired: "登录已过期,请重新登录。", failed: "未发送:{0}", signedInAs: "已登录:{0}",
      react: "用 {0} 回应", pending: "发送中…", you: "你",
    },
  };
  const EMOJI = ["👍", "❤️", "😂"];

  let language = localStorage.getItem("gw.language") || (navigator.language.startsWith("zh") ? "zh" : "en");
  const t = (key, ...args) => args.reduce((text, arg, i) => text.replace(`{${i}}`, arg), TEXT[language][key] ?? TEXT.en[key] ?? key);

  const state = {
    token: localStorage.getItem("gw.token"),
    me: JSON.parse(localStorage.getItem("gw.me") || "null"),
    readOnly: true,
    socket: null,
    ready: false,
    connection: "connecting",
    attempt: 0,
    retryAt: 0,
    heartbeat: null,
    // Per stream: where we are (offset, epoch), whether the server acknowledged our subscription,
    // and events held back while a snapshot reloads.
    streams: new Map(),
    posts: new Map(),
    order: [],
    thread: null,
    outbox: JSON.parse(sessionStorage.getItem("gw.outbox") || "[]"),
    requests: new Map(),
    nextRequest: 1,
    reactedByMe: new Set(),
    muted: new Set(JSON.parse(localStorage.getItem("gw.muted") || "[]")),
    typing: new Map(),
    replyTo: null,
    lastTypingSent: 0,
    stats: { events: 0, duplicates: 0, drafts: 0, reconnects: 0, resumed: 0, reloads: 0 },
  };
  // For people learning the protocol in the browser's console, and for the browser test.
  window.gatewayd = { state };

  // MARK: HTTP

  async function http(method, path, body) {
    const headers = { "Accept": "application/json" };
    if (state.token) headers.Authorization = `Bearer ${state.token}`;
    if (body) headers["Content-Type"] = "application/json";
    const response = await fetch(path, { method, headers, body: body ? JSON.stringify(body) : undefined });
    const json = await response.json().catch(() => ({}));
    if (!response.ok) {
      const error = new Error(json.error?.message || response.statusText);
      error.status = response.status;
      error.code = json.error?.code;
      throw error;
    }
    return json;
  }

  function position(name) {
    if (!state.streams.has(name)) state.streams.set(name, { offset: 0, epoch: null, subscribed: false, reloading: false, held: [] });
    return state.streams.get(name);
  }

  // Snapshots read with a token say which reactions are ours (`mine`), so a reload keeps them marked.
  function rememberMine(objects) {
    for (const object of objects) {
      if (!object.mine) continue;
      for (const emoji of Object.keys(object.reactions || {})) state.reactedByMe.delete(`${object.id}|${emoji}`);
      for (const emoji of object.mine) state.reactedByMe.add(`${object.id}|${emoji}`);
    }
  }

  async function loadFeed() {
    const snapshot = await http("GET", "/v1/feed?limit=50");
    state.posts = new Map(snapshot.posts.map((post) => [post.id, post]));
    state.order = snapshot.posts.map((post) => post.id);
    rememberMine(snapshot.posts);
    const feed = position("feed");
    feed.offset = snapshot.offset;
    feed.epoch = snapshot.epoch;
    renderFeed();
  }

  async function loadThread(postID) {
    const snapshot = await http("GET", `/v1/posts/${encodeURIComponent(postID)}`);
    const drafts = state.thread?.post.id === postID ? state.thread.drafts : new Map();
    state.thread = { post: snapshot.post, comments: new Map(snapshot.comments.map((c) => [c.id, c])), drafts, deleted: false };
    rememberMine([snapshot.post, ...snapshot.comments]);
    const stream = position(`thread:${postID}`);
    stream.offset = snapshot.offset;
    stream.epoch = snapshot.epoch;
    renderThread();
  }

  // MARK: WebSocket

  function connect() {
    const url = `${location.protocol === "https:" ? "wss" : "ws"}://${location.host}/v1/ws`;
    const socket = new WebSocket(url);
    state.socket = socket;
    state.ready = false;
    setConnection(state.attempt === 0 && !state.stats.reconnects ? "connecting" : "reconnecting");
    socket.onmessage = (message) => {
      let frame;
      try { frame = JSON.parse(message.data); } catch { return; }
      handle(frame);
    };
    socket.onclose = (event) => closed(socket, event.code);
    socket.onerror = () => {};
  }

  function send(frame) {
    if (state.socket?.readyState === WebSocket.OPEN) state.socket.send(JSON.stringify(frame));
  }

  function handle(frame) {
    switch (frame.op) {
      case "hello":
        clearInterval(state.heartbeat);
        // Comfortably inside the server's 2 × heartbeat_ms.
        state.heartbeat = setInterval(() => send({ op: "ping", t: Date.now() }), Math.max(1000, frame.heartbeat_ms * 0.6));
        send(state.token ? { op: "identify", token: state.token } : { op: "identify" });
        break;
      case "ready":
        state.ready = true;
        state.readOnly = frame.read_only;
        if (frame.user) {
          state.me = frame.user;
          localStorage.setItem("gw.me", JSON.stringify(frame.user));
        }
        if (state.attempt > 0 || state.stats.reconnects > 0) state.stats.resumed += 1;
        state.attempt = 0;
        setConnection("online");
        for (const name of wantedStreams()) subscribe(name);
        flushOutbox();
        renderChrome();
        break;
      case "subscribed": subscribed(frame); break;
      case "event": event(frame); break;
      case "ack": acknowledged(frame); break;
      case "error": failed(frame); break;
      case "draft": draft(frame); break;
      case "typing": typing(frame); break;
      default: break;
    }
  }

  function closed(socket, code) {
    if (state.socket !== socket) return;
    clearInterval(state.heartbeat);
    state.ready = false;
    for (const stream of state.streams.values()) stream.subscribed = false;
    // Writes sent but not acknowledged go again after the reconnect, with the same client_id.
    for (const item of state.outbox) item.sent = null;
    state.requests.clear();
    if (code === 4003 && state.token) {
      signOut(t("expired"));
    }
    state.stats.reconnects += 1;
    // A drain (4011) means the server is restarting: come back soon, then back off.
    const base = code === 4011 ? 300 : 500;
    const delay = Math.min(10000, base * 2 ** state.attempt) * (0.5 + Math.random() / 2);
    state.attempt += 1;
    state.retryAt = Date.now() + delay;
    setConnection("reconnecting");
    setTimeout(connect, delay);
  }

  function wantedStreams() {
    const names = ["feed"];
    if (state.thread && !state.thread.deleted) names.push(`thread:${state.thread.post.id}`);
    return names;
  }

  function subscribe(name) {
    const stream = position(name);
    if (stream.subscribed || !state.ready) return;
    stream.subscribed = true;
    const frame = { op: "sub", id: request({ kind: "sub", name }), stream: name };
    if (stream.epoch) frame.since = { offset: stream.offset, epoch: stream.epoch };
    send(frame);
  }

  function unsubscribe(name) {
    const stream = state.streams.get(name);
    if (!stream) return;
    if (stream.subscribed && state.ready) send({ op: "unsub", id: request({ kind: "unsub", name }), stream: name });
    state.streams.delete(name);
  }

  function request(entry) {
    const id = state.nextRequest++;
    state.requests.set(id, entry);
    return id;
  }

  async function subscribed(frame) {
    state.requests.delete(frame.id);
    const stream = position(frame.stream);
    if (frame.recovered || stream.offset === frame.offset) return;
    // The server could not replay from our offset (history pruned, or a new epoch): reload the
    // snapshot, holding back live events meanwhile, then apply those the snapshot does not have.
    state.stats.reloads += 1;
    stream.reloading = true;
    try {
      if (frame.stream === "feed") await loadFeed();
      else if (state.thread && frame.stream === `thread:${state.thread.post.id}`) await loadThread(state.thread.post.id);
    } catch (error) {
      if (error.status === 404 && state.thread) threadGone();
    }
    stream.reloading = false;
    const held = stream.held;
    stream.held = [];
    for (const heldEvent of held) event(heldEvent);
  }

  function event(frame) {
    const stream = state.streams.get(frame.stream);
    if (!stream) return;
    if (stream.reloading) { stream.held.push(frame); return; }
    if (frame.offset <= stream.offset) { state.stats.duplicates += 1; return; }
    stream.offset = frame.offset;
    state.stats.events += 1;
    const data = frame.data;
    switch (frame.type) {
      case "post.created":
        addPost(data, true);
        break;
      case "post.deleted":
        state.posts.delete(data.id);
        state.order = state.order.filter((id) => id !== data.id);
        renderFeed();
        if (state.thread?.post.id === data.id) threadGone();
        break;
      case "comment.created":
        if (state.thread?.post.id === data.post_id) {
          if (!state.thread.comments.has(data.id)) countComment(data.post_id);
          state.thread.comments.set(data.id, data);
          for (const [id, pending] of state.thread.drafts) if (pending.commentID === data.id) state.thread.drafts.delete(id);
          renderThread();
        }
        break;
      case "comment.deleted":
        if (state.thread?.comments.delete(data.id)) renderThread();
        break;
      case "reaction.changed":
        reactionChanged(data);
        break;
      default:
        break;
    }
  }

  // The thread's count, and the feed's copy of the post, which has no comment events of its own.
  function countComment(postID) {
    const posts = new Set([state.thread?.post.id === postID ? state.thread.post : null, state.posts.get(postID)].filter(Boolean));
    for (const post of posts) post.comment_count = (post.comment_count || 0) + 1;
  }

  function addPost(post, live) {
    if (state.posts.has(post.id)) { state.posts.set(post.id, post); return; }
    state.posts.set(post.id, post);
    state.order.unshift(post.id);
    renderFeed(live ? post.id : null);
  }

  function reactionChanged(change) {
    const key = `${change.target}|${change.emoji}`;
    if (change.user_id === state.me?.id) {
      if (change.on) state.reactedByMe.add(key); else state.reactedByMe.delete(key);
    }
    const targets = new Set();
    if (change.target.startsWith("p_")) {
      if (state.thread?.post.id === change.target) targets.add(state.thread.post);
      if (state.posts.has(change.target)) targets.add(state.posts.get(change.target));
    } else if (state.thread?.comments.has(change.target)) {
      targets.add(state.thread.comments.get(change.target));
    }
    for (const target of targets) {
      const counts = { ...(target.reactions || {}) };
      if (change.count > 0) counts[change.emoji] = change.count; else delete counts[change.emoji];
      target.reactions = counts;
    }
    render();
  }

  function draft(frame) {
    if (!state.thread || frame.stream !== `thread:${state.thread.post.id}`) return;
    const drafts = state.thread.drafts;
    let entry = drafts.get(frame.draft_id);
    if (!entry) {
      if (frame.done) return;
      entry = { author: frame.author, parentID: frame.parent_id ?? null, text: "", commentID: null };
      drafts.set(frame.draft_id, entry);
      state.stats.drafts += 1;
    }
    if (frame.delta) entry.text += frame.delta;
    if (frame.done && frame.retracted) drafts.delete(frame.draft_id);
    if (frame.done && frame.comment_id) {
      entry.commentID = frame.comment_id;
      if (state.thread.comments.has(frame.comment_id)) drafts.delete(frame.draft_id);
    }
    state.typing.delete(frame.author?.id);
    renderThread();
  }

  function typing(frame) {
    if (!state.thread || frame.stream !== `thread:${state.thread.post.id}` || frame.user.id === state.me?.id) return;
    state.typing.set(frame.user.id, { name: frame.user.name, until: Date.now() + 4000 });
    renderTyping();
    setTimeout(renderTyping, 4100);
  }

  // MARK: Writes

  function clientID() {
    return crypto.randomUUID ? crypto.randomUUID() : `${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}`;
  }

  function submit(op, fields) {
    const item = { op, fields: { ...fields, client_id: clientID() }, sent: null, error: null };
    state.outbox.push(item);
    saveOutbox();
    flushOutbox();
    render();
    return item;
  }

  function saveOutbox() {
    sessionStorage.setItem("gw.outbox", JSON.stringify(state.outbox.map(({ op, fields }) => ({ op, fields }))));
  }

  function flushOutbox() {
    if (!state.ready || state.readOnly) return;
    for (const item of state.outbox) {
      if (item.sent || item.holdUntil > Date.now()) continue;
      item.sent = request({ kind: "write", item });
      send({ op: item.op, id: item.sent, ...item.fields });
    }
    renderChrome();
  }

  function settle(item) {
    state.outbox = state.outbox.filter((other) => other !== item);
    saveOutbox();
  }

  function acknowledged(frame) {
    const entry = state.requests.get(frame.id);
    state.requests.delete(frame.id);
    if (!entry || entry.kind !== "write") return;
    settle(entry.item);
    const result = frame.result || {};
    if (result.post) addPost(result.post, true);
    if (result.comment && state.thread?.post.id === result.comment.post_id && !state.thread.comments.has(result.comment.id)) {
      state.thread.comments.set(result.comment.id, result.comment);
      countComment(result.comment.post_id);
    }
    if (entry.item.op === "mute") {
      const key = `${entry.item.fields.bot}|${entry.item.fields.scope}`;
      if (entry.item.fields.on) state.muted.add(key); else state.muted.delete(key);
      localStorage.setItem("gw.muted", JSON.stringify([...state.muted]));
    }
    render();
  }

  function failed(frame) {
    const entry = state.requests.get(frame.id);
    state.requests.delete(frame.id);
    if (!entry) return;
    if (entry.kind === "sub") {
      position(entry.name).subscribed = false;
      if (frame.code === "not_found" && entry.name.startsWith("thread:")) threadGone();
      return;
    }
    if (entry.kind !== "write") return;
    const item = entry.item;
    item.sent = null;
    if (frame.code === "rate_limited" || frame.code === "unavailable") {
      // Try again later with the same client_id.
      item.holdUntil = Date.now() + (frame.retry_after_ms || 2000);
      setTimeout(flushOutbox, (frame.retry_after_ms || 2000) + 50);
    } else {
      settle(item);
      notify(t("failed", frame.message));
    }
    render();
  }

  // MARK: Rendering

  function setConnection(connection) {
    state.connection = connection;
    renderChrome();
  }

  function renderChrome() {
    const badge = $("connection");
    const waiting = state.outbox.length;
    let text = state.connection === "reconnecting"
      ? t("reconnecting", Math.max(0, Math.ceil((state.retryAt - Date.now()) / 1000)))
      : t(state.connection);
    if (state.connection === "online" && state.readOnly) text += ` · ${t("readOnly")}`;
    if (waiting) text += ` · ${t("waiting", waiting)}`;
    badge.textContent = text;
    badge.className = `connection ${state.connection}`;
    badge.dataset.state = state.connection;
    const signedIn = Boolean(state.token);
    $("me").textContent = signedIn && state.me ? t("signedInAs", state.me.name) : "";
    $("signout").hidden = !signedIn;
    $("post-form").hidden = !signedIn;
    $("comment-form").hidden = !signedIn || !state.thread || state.thread.deleted;
  }

  function render() {
    renderChrome();
    if (state.thread) renderThread(); else renderFeed();
  }

  function el(tag, attributes = {}, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attributes)) {
      if (value === undefined || value === null || value === false) continue;
      if (key === "class") node.className = value;
      else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
      else node.setAttribute(key, value === true ? "" : value);
    }
    for (const child of children.flat()) if (child !== null && child !== undefined) node.append(child);
    return node;
  }

  function time(iso) {
    const date = new Date(iso);
    return el("time", { datetime: iso }, date.toLocaleTimeString(language === "zh" ? "zh-CN" : "en", { hour: "2-digit", minute: "2-digit" }));
  }

  // A bot is always labelled as AI next to its persona's name; the engine and model that wrote
  // a comment are in the label's tooltip.
  function authorLine(user, iso, extra, generated) {
    const isBot = user.kind === "bot" || Boolean(generated);
    const label = t("aiLabel", user.name) + (generated ? ` · ${generated.engine} ${generated.model}` : "");
    return el("div", { class: "meta" },
      el("span", { class: "author" }, user.name),
      isBot ? el("span", { class: "ai-badge", title: label, "aria-label": label, "data-persona": user.persona || generated?.persona }, t("ai")) : null,
      iso ? time(iso) : null,
      extra);
  }

  function reactions(target, counts) {
    return EMOJI.map((emoji) => {
      const mine = state.reactedByMe.has(`${target}|${emoji}`);
      const count = counts?.[emoji] || 0;
      return el("button", {
        class: "small reaction", type: "button", "aria-pressed": String(mine), "aria-label": t("react", emoji),
        disabled: !state.token,
        onclick: () => {
          const on = !state.reactedByMe.has(`${target}|${emoji}`);
          if (on) state.reactedByMe.add(`${target}|${emoji}`); else state.reactedByMe.delete(`${target}|${emoji}`);
          submit("react", { target, emoji, on });
        },
      }, count ? `${emoji} ${count}` : emoji);
    });
  }

  function postCard(post, { link }) {
    const count = post.comment_count || 0;
    const mine = post.author.id === state.me?.id;
    return el("li", { class: "card post", "data-id": post.id },
      authorLine(post.author, post.created_at),
      el("p", { class: "body" }, post.body),
      el("div", { class: "actions" },
        reactions(post.id, post.reactions),
        link ? el("a", { class: "open-thread", href: `#/p/${post.id}` }, count === 0 ? t("noComments") : count === 1 ? t("oneComment") : t("comments", count)) : null,
        mine ? el("button", { class: "small ghost", type: "button", onclick: () => submit("delete", { target: post.id }) }, t("del")) : null));
  }

  function pendingItems(op, match) {
    return state.outbox.filter((item) => item.op === op && match(item.fields));
  }

  function renderFeed(newID) {
    if (state.thread) return;
    const list = $("posts");
    list.replaceChildren(
      ...pendingItems("post", () => true).reverse().map((item) => el("li", { class: "card post pending", "data-client-id": item.fields.client_id },
        authorLine(state.me || { name: t("you"), kind: "human" }, null, el("span", {}, t("pending"))),
        el("p", { class: "body" }, item.fields.body))),
      ...state.order.map((id) => state.posts.get(id)).filter(Boolean).map((post) => postCard(post, { link: true })));
    $("feed-empty").hidden = state.order.length > 0;
    if (newID) list.querySelector(`[data-id="${newID}"]`)?.classList.add("new");
  }

  function renderThread() {
    const thread = state.thread;
    if (!thread) return;
    const article = $("thread-post");
    if (thread.deleted) {
      article.replaceChildren(el("p", { class: "hint" }, t("deleted")));
      $("comments").replaceChildren();
      renderChrome();
      return;
    }
    article.replaceChildren(...postCard(thread.post, { link: false }).childNodes);
    article.dataset.id = thread.post.id;
    const children = new Map();
    const add = (parent, node) => {
      if (!children.has(parent)) children.set(parent, []);
      children.get(parent).push(node);
    };
    const comments = [...thread.comments.values()].sort((a, b) => (a.created_at < b.created_at ? -1 : a.created_at > b.created_at ? 1 : a.id < b.id ? -1 : 1));
    for (const comment of comments) add(comment.parent_id ?? null, { kind: "comment", comment });
    for (const item of pendingItems("comment", (fields) => fields.post_id === thread.post.id)) add(item.fields.parent_id ?? null, { kind: "pending", item });
    for (const [id, entry] of thread.drafts) add(entry.parentID, { kind: "draft", id, entry });
    const build = (parent) => (children.get(parent) || []).map((node) => {
      if (node.kind === "pending") {
        return el("li", { class: "comment pending", "data-client-id": node.item.fields.client_id },
          authorLine(state.me || { name: t("you"), kind: "human" }, null, el("span", {}, t("pending"))),
          el("p", { class: "body" }, node.item.fields.body));
      }
      if (node.kind === "draft") {
        return el("li", { class: "comment bot draft", "data-draft-id": node.id, "aria-busy": "true" },
          authorLine(node.entry.author, null, el("span", {}, t("writing"))),
          el("p", { class: "body" }, node.entry.text));
      }
      const comment = node.comment;
      const isBot = comment.author.kind === "bot" || Boolean(comment.generated);
      const scope = `thread:${thread.post.id}`;
      const muteKey = `${comment.author.id}|${scope}`;
      const muted = state.muted.has(muteKey);
      const nested = build(comment.id);
      return el("li", { class: `comment${isBot ? " bot" : ""}`, "data-id": comment.id, "data-author": comment.author.id },
        authorLine(comment.author, comment.created_at, null, comment.generated),
        el("p", { class: "body" }, comment.body),
        el("div", { class: "actions" },
          reactions(comment.id, comment.reactions),
          state.token ? el("button", { class: "small ghost", type: "button", onclick: () => replyTo(comment) }, t("reply")) : null,
          isBot && state.token ? el("button", {
            class: "small ghost mute", type: "button", "aria-pressed": String(muted),
            onclick: () => submit("mute", { bot: comment.author.id, scope, on: !muted }),
          }, muted ? t("unmute") : t("mute")) : null,
          comment.author.id === state.me?.id ? el("button", { class: "small ghost", type: "button", onclick: () => submit("delete", { target: comment.id }) }, t("del")) : null),
        nested.length ? el("ol", { class: "comments" }, nested) : null);
    });
    $("comments").replaceChildren(...build(null));
    renderTyping();
    renderChrome();
  }

  function renderTyping() {
    const now = Date.now();
    for (const [id, entry] of state.typing) if (entry.until < now) state.typing.delete(id);
    const names = [...state.typing.values()].map((entry) => entry.name);
    $("typing").textContent = names.length === 0 ? "" : names.length === 1 ? t("typingOne", names[0]) : t("typingMany", names.join(", "));
  }

  function replyTo(comment) {
    state.replyTo = comment;
    const label = $("replying");
    label.hidden = false;
    label.replaceChildren(t("replyingTo", comment.author.name), " ",
      el("button", { class: "small ghost", type: "button", onclick: () => { state.replyTo = null; label.hidden = true; } }, t("cancel")));
    $("comment-input").focus();
  }

  // A write the server refused for good: shown for a few seconds above the page.
  function notify(message) {
    const note = el("p", { class: "error", role: "alert" }, message);
    $("main").prepend(note);
    setTimeout(() => note.remove(), 6000);
  }

  function applyLanguage() {
    document.documentElement.lang = language === "zh" ? "zh-CN" : "en";
    for (const node of document.querySelectorAll("[data-i18n]")) node.textContent = t(node.dataset.i18n);
    for (const node of document.querySelectorAll("[data-i18n-placeholder]")) node.placeholder = t(node.dataset.i18nPlaceholder);
    $("language").textContent = language === "zh" ? "English" : "中文";
    document.title = `gatewayd · ${t("title")}`;
    render();
  }

  // MARK: Views and sign-in

  async function route() {
    const match = location.hash.match(/^#\/p\/([A-Za-z0-9_]+)$/);
    const previous = state.thread?.post.id;
    if (match) {
      if (previous && previous !== match[1]) unsubscribe(`thread:${previous}`);
      if (previous !== match[1]) { state.thread = null; state.typing.clear(); }
      $("feed-view").hidden = true;
      $("thread-view").hidden = false;
      try {
        await loadThread(match[1]);
        subscribe(`thread:${match[1]}`);
      } catch (error) {
        state.thread = { post: { id: match[1] }, comments: new Map(), drafts: new Map(), deleted: true };
        renderThread();
      }
    } else {
      if (previous) unsubscribe(`thread:${previous}`);
      state.thread = null;
      $("thread-view").hidden = true;
      $("feed-view").hidden = false;
      renderFeed();
    }
    renderChrome();
  }

  function threadGone() {
    if (!state.thread) return;
    state.thread.deleted = true;
    unsubscribe(`thread:${state.thread.post.id}`);
    renderThread();
  }

  function signedIn(token, user) {
    state.token = token;
    state.me = user;
    localStorage.setItem("gw.token", token);
    localStorage.setItem("gw.me", JSON.stringify(user));
    $("signin").hidden = true;
    // A new identity needs a new session.
    state.socket?.close(1000);
  }

  function signOut(reason) {
    state.token = null;
    state.me = null;
    localStorage.removeItem("gw.token");
    localStorage.removeItem("gw.me");
    state.outbox = [];
    saveOutbox();
    showSignIn(reason);
    state.socket?.close(1000);
  }

  async function showSignIn(reason) {
    $("signin").hidden = false;
    $("signin-error").textContent = reason || "";
    // The name form exists only where the server offers the development login.
    const probe = await fetch("/v1/dev/login", { method: "POST", headers: { "Content-Type": "application/json" }, body: "{}" }).catch(() => null);
    const development = probe !== null && probe.status !== 404 && probe.status !== 405;
    $("name-form").hidden = !development;
    $("token-form").hidden = development;
  }

  $("name-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    try {
      const answer = await http("POST", "/v1/dev/login", { name: $("name-input").value });
      signedIn(answer.token, answer.user);
    } catch (error) {
      $("signin-error").textContent = error.message;
    }
  });
  $("token-form").addEventListener("submit", (event) => {
    event.preventDefault();
    signedIn($("token-input").value.trim(), null);
  });
  $("read-only").addEventListener("click", () => { $("signin").hidden = true; });
  $("signout").addEventListener("click", () => signOut());
  $("language").addEventListener("click", () => {
    language = language === "zh" ? "en" : "zh";
    localStorage.setItem("gw.language", language);
    applyLanguage();
  });
  $("post-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const body = $("post-input").value.trim();
    if (!body) return;
    submit("post", { body, bots: $("bots-off").checked ? "off" : "on" });
    $("post-input").value = "";
  });
  $("comment-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const body = $("comment-input").value.trim();
    if (!body || !state.thread) return;
    const fields = { post_id: state.thread.post.id, body };
    if (state.replyTo) fields.parent_id = state.replyTo.id;
    submit("comment", fields);
    $("comment-input").value = "";
    state.replyTo = null;
    $("replying").hidden = true;
  });
  $("comment-input").addEventListener("input", () => {
    // The server passes on one typing signal per 2 s; sending more would only be dropped.
    if (!state.thread || Date.now() - state.lastTypingSent < 2000 || !state.ready || state.readOnly) return;
    state.lastTypingSent = Date.now();
    send({ op: "typing", stream: `thread:${state.thread.post.id}` });
  });
  window.addEventListener("hashchange", route);
  window.addEventListener("offline", () => setConnection("offline"));
  setInterval(() => { if (state.connection === "reconnecting") renderChrome(); }, 1000);

  async function start() {
    applyLanguage();
    if (!state.token) showSignIn();
    try { await loadFeed(); } catch { /* the socket's reconnect loop brings it back */ }
    await route();
    connect();
  }
  start();
})();
