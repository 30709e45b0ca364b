// The live feed page: a reference client of PROTOCOL.md. It loads a snapshot over HTTP, then
// subscribes `since` the snapshot's offset; it keeps the last offset of every stream, so after a
// drop or a 4011 it reconnects with backoff and resumes without a gap or a duplicate; every write
// carries a client_id and waits in an outbox until acknowledged, so a retry after a reconnect is
// never written twice. The feed's posts stay live in place: the page follows the thread streams
// of the posts it shows (counts and reactions), the user's own stream (replies and mentions),
// and keeps the reader's place and focus while the feed moves.
"use strict";

(() => {
  const $ = (id) => document.getElementById(id);
  const MAX_BODY = Number(document.querySelector('meta[name="gatewayd:max-body-chars"]')?.content) || 4000;
  // Threads followed for live counts at once: the protocol allows 100 subscriptions a connection.
  const MAX_WATCHED = 60;
  const PAGE = 20;
  // On a phone's soft keyboard Enter makes a new line; the button sends.
  const physicalKeyboard = matchMedia("(pointer: fine)");
  const LONG_BODY = 600;

  const TEXT = {
    en: {
      title: "Live feed", signOut: "Sign out", signInTitle: "Join the conversation", nameLabel: "Your name",
      signIn: "Sign in", devHint: "Development mode: any name signs you in on this machine.",
      tokenLabel: "Your access token", justRead: "Just read", postLabel: "New post", postPlaceholder: "What's happening?",
      botsOff: "No bot replies", post: "Post", empty: "Nothing here yet. Say something!", back: "← Feed",
      commentLabel: "Your comment", commentPlaceholder: "Write a comment", comment: "Comment", reply: "Reply",
      replyingTo: "Replying to {0}", cancel: "Cancel", comments: "{0} comments", oneComment: "1 comment", noComments: "Comment",
      del: "Delete", delPost: "Delete your post “{0}”", delComment: "Delete your comment “{0}”",
      confirmDelete: "Delete for everyone?", keep: "Keep",
      mute: "Mute in this thread", unmute: "Unmute in this thread", muteLabel: "Mute {0} in this thread", unmuteLabel: "Unmute {0} in this thread",
      ai: "AI", aiLabel: "AI assistant {0}",
      typingOne: "{0} is typing…", typingMany: "{0} are typing…", writing: "writing…",
      connecting: "Connecting…", online: "Live", reconnecting: "Reconnecting in {0}s…", offline: "Offline",
      waiting: "{0} waiting to send", readOnly: "Reading only", deleted: "This post was deleted.",
      expired: "Your session ended; sign in again.", signedInAs: "Signed in as {0}",
      reactLabel: "{0} {1}, on {2}", reactLabelOff: "{0} {1}: react to {2}", postOf: "{0}’s post", commentOf: "{0}’s comment",
      pending: "sending…", you: "you", sending: "Sending…", waitingConnection: "Waiting for the connection to send…",
      countdown: "Too many in a short time: sending in {0} s.", counter: "{0} / {1}",
      tooLongLocal: "This is {0} characters; the limit is {1}. Shorten it, your text stays here.",
      newPosts: "{0} new posts ↑", newPost: "1 new post ↑", newPostBy: "New post by {0}", newPostsAnnounce: "{0} new posts above",
      older: "Load older posts", loadingOlder: "Loading…", feedEnd: "You have reached the first post.",
      notifications: "Notifications", noNotifications: "No replies or mentions yet.",
      bellLabel: "Notifications, {0} unread", bellLabelNone: "Notifications",
      replied: "{0} replied to you", mentioned: "{0} mentioned you", newNotification: "{0}",
      showMore: "Show more", showLess: "Show less", justNow: "just now",
      commentDeleted: "A comment here was deleted.", newCommentBy: "New comment by {0}", botName: "{0} (AI)", replyLabel: "Reply to {0}", threadLabel: "{0}: {1}",
      enterHint: "Enter sends, Shift+Enter adds a line", postHint: "Ctrl+Enter sends",
      err_bad_request: "The server could not accept this; check the text and try again.",
      err_unauthorized: "You need to sign in to do this.",
      err_forbidden: "You are not allowed to do this.",
      err_not_found: "It is no longer there; it may have been deleted.",
      err_rate_limited: "Too many in a short time; wait a moment.",
      err_too_large: "This is longer than the {0}-character limit; shorten it, your text stays here.",
      err_conflict: "This was already sent with different content.",
      err_unavailable: "The server cannot take this right now; it will be sent again.",
      err_internal: "Something went wrong on the server; try again.",
      err_other: "The server refused this ({0}).",
    },
    zh: {
      title: "实时动态", signOut: "退出", signInTitle: "加入讨论", nameLabel: "你的名字",
      signIn: "登录", devHint: "开发模式:在本机输入任意名字即可登录。",
      tokenLabel: "你的访问令牌", justRead: "只看看", postLabel: "新帖子", postPlaceholder: "有什么新鲜事?",
      botsOff: "不要机器人回复", post: "发布", empty: "这里还没有内容,来说点什么吧!", back: "← 动态",
      commentLabel: "你的评论", commentPlaceholder: "写评论", comment: "评论", reply: "回复",
      replyingTo: "回复 {0}", cancel: "取消", comments: "{0} 条评论", oneComment: "1 条评论", noComments: "评论",
      del: "删除", delPost: "删除你的帖子“{0}”", delComment: "删除你的评论“{0}”",
      confirmDelete: "确定为所有人删除?", keep: "保留",
      mute: "在此帖中屏蔽", unmute: "取消屏蔽", muteLabel: "在此帖中屏蔽 {0}", unmuteLabel: "在此帖中取消屏蔽 {0}",
      ai: "AI", aiLabel: "AI 助手 {0}",
      typingOne: "{0} 正在输入…", typingMany: "{0} 正在输入…", writing: "正在写…",
      connecting: "连接中…", online: "实时", reconnecting: "{0} 秒后重连…", offline: "离线",
      waiting: "{0} 条待发送", readOnly: "只读", deleted: "这个帖子已被删除。",
      expired: "登录已过期,请重新登录。", signedInAs: "已登录:{0}",
      reactLabel: "{0} {1},已回应{2}", reactLabelOff: "{0} {1}:回应{2}", postOf: "{0} 的帖子", commentOf: "{0} 的评论",
      pending: "发送中…", you: "你", sending: "发送中…", waitingConnection: "等待连接后发送…",
      countdown: "发得太快了:{0} 秒后发送。", counter: "{0} / {1}",
      tooLongLocal: "共 {0} 个字符,上限是 {1}。请删减,文字会保留在这里。",
      newPosts: "{0} 条新帖子 ↑", newPost: "1 条新帖子 ↑", newPostBy: "{0} 发布了新帖子", newPostsAnnounce: "上方有 {0} 条新帖子",
      older: "加载更早的帖子", loadingOlder: "加载中…", feedEnd: "已经到第一条帖子了。",
      notifications: "通知", noNotifications: "还没有回复或提及。",
      bellLabel: "通知,{0} 条未读", bellLabelNone: "通知",
      replied: "{0} 回复了你", mentioned: "{0} 提到了你", newNotification: "{0}",
      showMore: "展开", showLess: "收起", justNow: "刚刚",
      commentDeleted: "这里的一条评论已被删除。", newCommentBy: "{0} 发表了新评论", botName: "{0}(AI)", replyLabel: "回复{0}", threadLabel: "{0}:{1}",
      enterHint: "回车发送,Shift+回车换行", postHint: "Ctrl+回车发送",
      err_bad_request: "服务器无法接受这条内容,请检查后重试。",
      err_unauthorized: "请先登录。",
      err_forbidden: "你没有权限这样做。",
      err_not_found: "内容已不存在,可能已被删除。",
      err_rate_limited: "发得太快了,请稍等。",
      err_too_large: "超过了 {0} 个字符的上限,请删减,文字会保留在这里。",
      err_conflict: "这条内容已经以不同的内容发送过。",
      err_unavailable: "服务器暂时无法处理,稍后会自动重发。",
      err_internal: "服务器出错了,请重试。",
      err_other: "服务器拒绝了这个操作({0})。",
    },
  };
  const EMOJI = ["👍", "❤️", "😂"];

  let language = localStorage.getItem("gw.language") || (navigator.language.startsWith("zh") ? "zh" : "en");
  const t = (key, ...args) => args.reduce((text, arg, i) => text.replace(`{${i}}`, arg), TEXT[language][key] ?? TEXT.en[key] ?? key);
  const locale = () => (language === "zh" ? "zh-CN" : "en");
  const errorText = (code) => (TEXT.en[`err_${code}`] ? t(`err_${code}`, MAX_BODY) : t("err_other", code));
  const scalars = (text) => [...text.trim()].length;

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
    // events held back while a snapshot reloads, and for a thread followed from the feed, the
    // recount its replay is building.
    streams: new Map(),
    posts: new Map(),
    order: [],
    // New posts that arrived while the reader was further down: behind the "N new posts" pill.
    held: [],
    arrivedHidden: 0,
    hasOlder: true,
    loadingOlder: false,
    thread: null,
    focusComment: null,
    outbox: [],
    compose: { post: null, comment: null },
    requests: new Map(),
    nextRequest: 1,
    reactedByMe: new Set(),
    muted: new Set(),
    watched: new Map(),
    visible: new Set(),
    expanded: new Set(),
    confirming: null,
    personas: [],
    notifications: [],
    snippets: new Map(),
    typing: new Map(),
    replyTo: null,
    lastTypingSent: 0,
    stats: { events: 0, duplicates: 0, drafts: 0, reconnects: 0, resumed: 0, reloads: 0 },
  };
  // For people learning the protocol in the browser's console, and for the browser test.
  window.gatewayd = { state };
  // Writes left unsent by a reload go out again, but only as the user who wrote them.
  {
    const saved = JSON.parse(sessionStorage.getItem("gw.outbox") || "null");
    if (saved && !Array.isArray(saved) && state.me && saved.user === state.me.id && state.token) state.outbox = saved.items || [];
    if (state.token) state.muted = new Set(JSON.parse(localStorage.getItem(mutedKey()) || "[]"));
  }

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
      error.retryAfter = Number(response.headers.get("Retry-After")) || 0;
      throw error;
    }
    return json;
  }

  function position(name, kind) {
    if (!state.streams.has(name)) {
      state.streams.set(name, { kind: kind || streamKind(name), offset: 0, epoch: null, subscribed: false, reloading: false, held: [], recount: false, tally: null });
    }
    return state.streams.get(name);
  }

  function streamKind(name) {
    if (name === "feed") return "feed";
    if (name.startsWith("user:")) return "user";
    return state.thread && name === `thread:${state.thread.post.id}` ? "thread" : "watch";
  }

  // Snapshots read with a token say which reactions are ours (`mine`), so a reload keeps them marked.
  function rememberMine(objects) {
    for (const object of objects) {
      if (!object.mine) continue;
      for (const emoji of Object.keys(object.reactions || {})) state.reactedByMe.delete(`${object.id}|${emoji}`);
      for (const emoji of object.mine) state.reactedByMe.add(`${object.id}|${emoji}`);
    }
  }

  function touch(object) {
    object._rev = (object._rev || 0) + 1;
  }

  async function loadFeed() {
    const snapshot = await http("GET", `/v1/feed?limit=${PAGE}`);
    for (const post of snapshot.posts) {
      const known = state.posts.get(post.id);
      if (!known) { state.posts.set(post.id, post); continue; }
      // Counts a followed thread keeps live are newer than any snapshot's.
      const { comment_count: _count, reactions: _reactions, ...rest } = post;
      Object.assign(known, state.streams.get(`thread:${post.id}`)?.subscribed ? rest : post);
      touch(known);
    }
    state.order = snapshot.posts.map((post) => post.id);
    state.held = [];
    state.hasOlder = snapshot.posts.length === PAGE;
    rememberMine(snapshot.posts);
    const feed = position("feed");
    feed.offset = snapshot.offset;
    feed.epoch = snapshot.epoch;
    renderFeed();
  }

  async function loadOlder() {
    if (state.loadingOlder || !state.hasOlder || state.order.length === 0) return;
    state.loadingOlder = true;
    renderOlder();
    try {
      const oldest = state.order[state.order.length - 1];
      const page = await http("GET", `/v1/feed?limit=${PAGE}&before=${encodeURIComponent(oldest)}`);
      for (const post of page.posts) {
        if (state.posts.has(post.id) && state.order.includes(post.id)) continue;
        state.posts.set(post.id, post);
        state.order.push(post.id);
      }
      rememberMine(page.posts);
      state.hasOlder = page.posts.length === PAGE;
    } catch (error) {
      notify(errorText(error.code || "unavailable"));
    }
    state.loadingOlder = false;
    renderFeed();
  }

  async function loadThread(postID) {
    const snapshot = await http("GET", `/v1/posts/${encodeURIComponent(postID)}`);
    // The snapshot holds the first 500 comments; longer threads come in pages after them.
    for (let page = 0, last = snapshot.comments; last.length === 500 && page < 40; page += 1) {
      const after = last[last.length - 1].id;
      last = (await http("GET", `/v1/posts/${encodeURIComponent(postID)}/comments?after=${after}&limit=500`)).comments;
      snapshot.comments.push(...last);
    }
    const drafts = state.thread?.post.id === postID ? state.thread.drafts : new Map();
    // The feed's card and the thread's header are one object, so counts stay the same in both.
    const post = state.posts.get(postID) || snapshot.post;
    Object.assign(post, snapshot.post);
    post._seen = snapshot.offset;
    touch(post);
    state.posts.set(postID, post);
    state.thread = { post, comments: new Map(snapshot.comments.map((c) => [c.id, c])), drafts, deleted: false };
    rememberMine([snapshot.post, ...snapshot.comments]);
    const name = `thread:${postID}`;
    // A thread followed from the feed had counts only; the thread view resumes from its snapshot.
    if (state.streams.get(name)?.kind === "watch") unsubscribe(name);
    const stream = position(name, "thread");
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
        render();
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
    if (state.token && state.me) names.push(`user:${state.me.id}`);
    for (const id of state.watched.keys()) names.push(`thread:${id}`);
    return [...new Set(names)];
  }

  function subscribe(name) {
    const stream = position(name);
    if (stream.subscribed || !state.ready) return;
    // A stream first followed without a snapshot of its own (a user's notifications, a feed
    // post's thread) is replayed from its start, so the page counts what it holds.
    if (!stream.epoch && stream.kind !== "feed" && stream.kind !== "thread") {
      stream.epoch = state.streams.get("feed")?.epoch || null;
      stream.recount = stream.kind === "watch";
    }
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
    const stream = state.streams.get(frame.stream);
    if (!stream) return;
    if (frame.epoch) stream.epoch = frame.epoch;
    if (stream.kind === "user") return;
    if (stream.kind === "watch") {
      const post = state.posts.get(frame.stream.slice(7));
      if (stream.recount && frame.recovered && frame.offset > stream.offset) {
        stream.tally ??= { recount: true, comment_count: 0, reactions: {}, mine: new Set() };
        stream.tally.until = frame.offset;
      } else {
        stream.recount = false;
        stream.tally = null;
        // Resumed: the replay brings what was missed. Not resumable: the counts are reloaded,
        // holding back live events meanwhile.
        if (!frame.recovered && post) await recountFromSnapshot(post, stream);
      }
      return;
    }
    if (frame.recovered || stream.offset === frame.offset) return;
    // The server could not replay from our offset (history pruned, or a new epoch): reload the
    // snapshot, holding back live events meanwhile, then apply those the snapshot does not have.
    state.stats.reloads += 1;
    await reloading(stream, async () => {
      try {
        if (frame.stream === "feed") await loadFeed();
        else if (state.thread && frame.stream === `thread:${state.thread.post.id}`) await loadThread(state.thread.post.id);
      } catch (error) {
        if (error.status === 404 && state.thread) threadGone();
      }
    });
  }

  // Reloads from a snapshot while the stream's live events wait, then applies those.
  async function reloading(stream, load) {
    stream.reloading = true;
    try { await load(); } finally {
      stream.reloading = false;
      const held = stream.held;
      stream.held = [];
      for (const heldEvent of held) event(heldEvent);
    }
  }

  async function recountFromSnapshot(post, stream) {
    await reloading(stream, async () => {
      try {
        const snapshot = await http("GET", `/v1/posts/${encodeURIComponent(post.id)}`);
        post.comment_count = snapshot.post.comment_count;
        post.reactions = snapshot.post.reactions;
        rememberMine([snapshot.post]);
        post._seen = snapshot.offset;
        touch(post);
      } catch (error) {
        if (error.status === 404) postGone(post.id);
      }
    });
    renderFeed();
  }

  function event(frame) {
    const stream = state.streams.get(frame.stream);
    if (!stream) return;
    if (stream.reloading) { stream.held.push(frame); return; }
    if (frame.offset <= stream.offset) { state.stats.duplicates += 1; return; }
    stream.offset = frame.offset;
    state.stats.events += 1;
    if (stream.kind === "feed") feedEvent(frame);
    else if (stream.kind === "user") notification(frame);
    else threadEvent(frame, stream);
  }

  function feedEvent(frame) {
    if (frame.type === "post.created") newPost(frame.data);
    else if (frame.type === "post.deleted") postGone(frame.data.id);
  }

  // MARK: Feed

  // A reader further down the page, or in a thread, is not pushed around by new posts: they wait
  // behind the pill. One's own posts go in at once.
  function newPost(post) {
    if (state.posts.has(post.id)) return;
    state.posts.set(post.id, post);
    const reading = Boolean(state.thread) || window.scrollY > 80;
    const own = post.author.id === state.me?.id;
    if (reading && !own) {
      state.held.unshift(post.id);
      announce(state.held.length === 1 ? t("newPostBy", who(post.author)) : t("newPostsAnnounce", state.held.length));
    } else {
      state.order.unshift(post.id);
      if (!own) announce(t("newPostBy", who(post.author)));
    }
    if (document.hidden && !own && !state.held.includes(post.id)) state.arrivedHidden += 1;
    renderFeed();
  }

  // From the pill, focus goes to the first new post; by scrolling to the top, it stays put.
  function showHeld(moveFocus = true) {
    state.order = [...state.held, ...state.order];
    const first = state.held[0];
    state.held = [];
    renderFeed();
    if (!moveFocus) return;
    window.scrollTo({ top: 0 });
    document.querySelector(`#posts li[data-id="${first}"]`)?.focus({ preventScroll: true });
  }

  function postGone(id) {
    state.posts.delete(id);
    state.order = state.order.filter((other) => other !== id);
    state.held = state.held.filter((other) => other !== id);
    unwatch(id);
    renderFeed();
    if (state.thread?.post.id === id) threadGone();
  }

  const watcher = "IntersectionObserver" in window ? new IntersectionObserver((entries) => {
    for (const entry of entries) {
      const id = entry.target.dataset.id;
      if (entry.isIntersecting) { state.visible.add(id); watch(id); } else state.visible.delete(id);
    }
  }, { rootMargin: "300px 0px" }) : null;

  // Follows a shown post's thread for its counts and reactions; the least recently seen are let
  // go once more than MAX_WATCHED are followed.
  function watch(id) {
    state.watched.delete(id);
    state.watched.set(id, Date.now());
    subscribe(`thread:${id}`);
    if (state.watched.size <= MAX_WATCHED) return;
    for (const old of state.watched.keys()) {
      if (state.watched.size <= MAX_WATCHED) break;
      if (state.visible.has(old) || state.thread?.post.id === old) continue;
      unwatch(old);
    }
  }

  function unwatch(id) {
    if (!state.watched.delete(id)) return;
    if (state.thread?.post.id !== id) unsubscribe(`thread:${id}`);
  }

  // MARK: Threads

  function threadEvent(frame, stream) {
    const postID = frame.stream.slice("thread:".length);
    const data = frame.data;
    if (frame.type === "post.deleted") { postGone(postID); return; }
    const post = state.posts.get(postID);
    if (stream.tally && frame.offset <= stream.tally.until) {
      count(stream.tally, frame, postID);
      if (frame.offset === stream.tally.until && post) {
        post.comment_count = stream.tally.comment_count;
        post.reactions = stream.tally.reactions;
        for (const emoji of EMOJI) state.reactedByMe.delete(`${postID}|${emoji}`);
        for (const key of stream.tally.mine) state.reactedByMe.add(key);
        post._seen = frame.offset;
        stream.tally = null;
        stream.recount = false;
        touch(post);
        renderFeed();
      }
      return;
    }
    if (post && frame.offset > (post._seen ?? 0)) {
      count(post, frame, postID);
      post._seen = frame.offset;
      touch(post);
    }
    const thread = state.thread?.post.id === postID ? state.thread : null;
    if (thread) {
      if (frame.type === "comment.created") {
        if (data.deleted) thread.comments.delete(data.id); else thread.comments.set(data.id, data);
        // Someone else's new comment is announced once, not a replay of older ones.
        if (!data.deleted && data.author.id !== state.me?.id && Date.now() - Date.parse(frame.ts) < 60000) announce(t("newCommentBy", who(data.author)));
        for (const [id, pending] of thread.drafts) {
          const same = pending.commentID === data.id || (!pending.commentID && pending.author?.id === data.author.id && pending.parentID === (data.parent_id ?? null));
          if (same) thread.drafts.delete(id);
        }
      } else if (frame.type === "comment.deleted") {
        thread.comments.delete(data.id);
      } else if (frame.type === "reaction.changed" && thread.comments.has(data.target)) {
        setReaction(thread.comments.get(data.target), data);
        markMine(data);
      }
      renderThread();
    } else {
      renderFeed();
    }
  }

  // Counts one thread event into a post, or into the recount of a replay: comments (a replayed
  // comment deleted since comes with its deletion after it) and the post's reactions.
  function count(target, frame, postID) {
    const data = frame.data;
    if (frame.type === "comment.created") {
      target.comment_count = (target.comment_count || 0) + 1;
    } else if (frame.type === "comment.deleted") {
      target.comment_count = Math.max(0, (target.comment_count || 0) - 1);
    } else if (frame.type === "reaction.changed" && data.target === postID) {
      setReaction(target, data);
      if (!target.recount) markMine(data);
      else if (data.user_id === state.me?.id) target.mine[data.on ? "add" : "delete"](`${data.target}|${data.emoji}`);
    }
  }

  // reaction.changed carries the new count, not a difference: replays and repeats set it again.
  function setReaction(target, change) {
    const counts = { ...(target.reactions || {}) };
    if (change.count > 0) counts[change.emoji] = change.count; else delete counts[change.emoji];
    target.reactions = counts;
  }

  function markMine(change) {
    if (change.user_id !== state.me?.id) return;
    const key = `${change.target}|${change.emoji}`;
    if (change.on) state.reactedByMe.add(key); else state.reactedByMe.delete(key);
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

  // MARK: Notifications

  function readKey() { return `gw.read.${state.me?.id}`; }
  function mutedKey() { return `gw.muted.${state.me?.id}`; }

  function notification(frame) {
    if (frame.type !== "reply" && frame.type !== "mention") return;
    // One comment that replies to you and mentions you is one notification.
    const item = frame.data.comment_id || frame.data.post_id;
    if (state.notifications.some((other) => other.offset === frame.offset || (other.comment_id || other.post_id) === item)) return;
    state.notifications.unshift({ offset: frame.offset, type: frame.type, ts: frame.ts, ...frame.data });
    state.notifications.sort((a, b) => b.offset - a.offset);
    state.notifications.length = Math.min(state.notifications.length, 200);
    const read = Number(localStorage.getItem(readKey()) || 0);
    if (frame.offset > read && Date.now() - Date.parse(frame.ts) < 60000) {
      announce(t(frame.type === "reply" ? "replied" : "mentioned", who(frame.data.by)));
    }
    renderBell();
    if (!$("notifications").hidden) renderNotifications();
  }

  function unread() {
    const read = Number(localStorage.getItem(readKey()) || 0);
    return state.notifications.filter((item) => item.offset > read).length;
  }

  function toggleNotifications() {
    const panel = $("notifications");
    panel.hidden = !panel.hidden;
    $("bell").setAttribute("aria-expanded", String(!panel.hidden));
    if (panel.hidden) return;
    renderNotifications();
    // Opening the list reads it: the read state is kept per browser and user.
    const newest = state.notifications[0]?.offset || 0;
    if (newest) localStorage.setItem(readKey(), String(Math.max(newest, Number(localStorage.getItem(readKey()) || 0))));
    renderBell();
    loadSnippets();
  }

  async function loadSnippets() {
    const posts = [...new Set(state.notifications.slice(0, 20)
      .filter((item) => !state.snippets.has(item.comment_id || item.post_id)).map((item) => item.post_id))].slice(0, 8);
    for (const postID of posts) {
      try {
        const thread = await http("GET", `/v1/posts/${encodeURIComponent(postID)}`);
        state.snippets.set(postID, thread.post.body);
        for (const comment of thread.comments) state.snippets.set(comment.id, comment.body);
      } catch { state.snippets.set(postID, ""); }
    }
    if (!$("notifications").hidden) renderNotifications();
  }

  function renderBell() {
    const bell = $("bell");
    bell.hidden = !state.token;
    const count = unread();
    $("bell-count").hidden = count === 0;
    $("bell-count").textContent = count > 99 ? "99+" : String(count);
    bell.setAttribute("aria-label", count ? t("bellLabel", count) : t("bellLabelNone"));
    updateTitle();
  }

  function renderNotifications() {
    const read = Number(localStorage.getItem(readKey()) || 0);
    $("notification-list").replaceChildren(...state.notifications.map((item) => {
      const snippet = state.snippets.get(item.comment_id || item.post_id);
      const href = item.comment_id ? `#/p/${item.post_id}/c/${item.comment_id}` : `#/p/${item.post_id}`;
      return el("li", { class: `notification${item.offset > read ? " unread" : ""}`, "data-offset": item.offset },
        el("a", { href, onclick: () => toggleNotifications() },
          avatar(item.by || { id: "?", name: "?" }),
          el("span", { class: "what" }, t(item.type === "reply" ? "replied" : "mentioned", who(item.by))),
          snippet ? el("span", { class: "snippet" }, snippet.length > 120 ? `${snippet.slice(0, 120)}…` : snippet) : null,
          item.ts ? time(item.ts) : null));
    }));
    $("notifications-empty").hidden = state.notifications.length > 0;
  }

  // MARK: Writes

  function clientID() {
    return crypto.randomUUID ? crypto.randomUUID() : `${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}`;
  }

  function submit(op, fields, form) {
    const item = { op, fields: { ...fields, client_id: clientID() }, sent: null, holdUntil: 0, form };
    state.outbox.push(item);
    saveOutbox();
    flushOutbox();
    render();
    return item;
  }

  function saveOutbox() {
    const items = state.outbox.map(({ op, fields }) => ({ op, fields }));
    sessionStorage.setItem("gw.outbox", JSON.stringify({ user: state.me?.id ?? null, items }));
  }

  function flushOutbox() {
    if (!state.ready || state.readOnly) { renderCompose(); return; }
    for (const item of state.outbox) {
      if (item.sent || item.holdUntil > Date.now()) continue;
      item.sent = request({ kind: "write", item });
      send({ op: item.op, id: item.sent, ...item.fields });
    }
    renderChrome();
    renderCompose();
  }

  function settle(item) {
    state.outbox = state.outbox.filter((other) => other !== item);
    saveOutbox();
    clearTimeout(item.timer);
    if (item.form && state.compose[item.form] === item) state.compose[item.form] = null;
  }

  function cancel(item) {
    if (!item || item.sent) return;
    settle(item);
    if (item.form) setStatus(item.form, "");
    render();
    $(`${item.form}-input`)?.focus();
  }

  function acknowledged(frame) {
    const entry = state.requests.get(frame.id);
    state.requests.delete(frame.id);
    if (!entry || entry.kind !== "write") return;
    const item = entry.item;
    const composed = item.form && state.compose[item.form] === item;
    settle(item);
    if (composed) {
      // The text leaves the box only now that the server has it.
      const input = $(`${item.form}-input`);
      input.value = "";
      setStatus(item.form, "");
      if (item.form === "comment") { state.replyTo = null; renderReplying(); }
    }
    const result = frame.result || {};
    if (result.post) newPost(result.post);
    if (result.comment && state.thread?.post.id === result.comment.post_id && !state.thread.comments.has(result.comment.id)) {
      state.thread.comments.set(result.comment.id, result.comment);
    }
    if (item.op === "mute") {
      const key = `${item.fields.bot}|${item.fields.scope}`;
      if (item.fields.on) state.muted.add(key); else state.muted.delete(key);
      localStorage.setItem(mutedKey(), JSON.stringify([...state.muted]));
    }
    render();
  }

  function failed(frame) {
    const entry = state.requests.get(frame.id);
    state.requests.delete(frame.id);
    if (!entry) return;
    if (entry.kind === "sub") {
      const stream = state.streams.get(entry.name);
      if (stream) stream.subscribed = false;
      if (frame.code === "not_found" && entry.name.startsWith("thread:")) {
        if (state.thread?.post.id === entry.name.slice(7)) threadGone(); else postGone(entry.name.slice(7));
      }
      return;
    }
    if (entry.kind !== "write") return;
    const item = entry.item;
    item.sent = null;
    if (frame.code === "rate_limited" || frame.code === "unavailable") {
      // Again later with the same client_id; the reader sees how long, and may cancel.
      const wait = frame.retry_after_ms || 2000;
      item.holdUntil = Date.now() + wait;
      clearTimeout(item.timer);
      item.timer = setTimeout(flushOutbox, wait + 50);
      if (!item.form) notify(errorText(frame.code));
      else announce(t("countdown", Math.ceil(wait / 1000)));
    } else {
      settle(item);
      if (item.op === "react") state.reactedByMe[item.fields.on ? "delete" : "add"](`${item.fields.target}|${item.fields.emoji}`);
      if (item.form) setStatus(item.form, errorText(frame.code), true);
      else notify(errorText(frame.code));
    }
    render();
  }

  function setStatus(form, text, isError = false) {
    const status = $(`${form}-status`);
    status.textContent = text;
    status.removeAttribute("aria-live");
    status.classList.toggle("error", isError);
    status.setAttribute("role", isError ? "alert" : "status");
  }

  function renderCompose() {
    for (const form of ["post", "comment"]) {
      const input = $(`${form}-input`);
      const item = state.compose[form];
      input.readOnly = Boolean(item);
      input.setAttribute("aria-busy", String(Boolean(item)));
      const length = scalars(input.value);
      const counter = $(`${form}-counter`);
      counter.textContent = length > 0 ? t("counter", length, MAX_BODY) : "";
      counter.classList.toggle("over", length > MAX_BODY);
      if (!item) continue;
      const status = $(`${form}-status`);
      const waiting = item.holdUntil > Date.now();
      const text = waiting ? t("countdown", Math.ceil((item.holdUntil - Date.now()) / 1000))
        : state.ready && !state.readOnly ? t("sending") : t("waitingConnection");
      status.classList.remove("error");
      // Only the words change each second: the Cancel button keeps its focus, and a screen
      // reader hears the countdown once (announced when it starts), not every second.
      let words = status.querySelector(".words");
      if (!words) {
        words = el("span", { class: "words" });
        status.replaceChildren(words, " ", el("button", { class: "small ghost", type: "button", "data-key": `${form}:cancel`, onclick: () => cancel(state.compose[form]) }, t("cancel")));
      }
      if (words.textContent !== text) words.textContent = text;
      status.querySelector("button").hidden = Boolean(item.sent);
      status.setAttribute("aria-live", waiting ? "off" : "polite");
    }
  }

  function sendCompose(form) {
    if (state.compose[form] || !state.token) return;
    const input = $(`${form}-input`);
    const body = input.value.trim();
    if (!body) return;
    const length = scalars(body);
    if (length > MAX_BODY) {
      setStatus(form, t("tooLongLocal", length, MAX_BODY), true);
      input.focus();
      return;
    }
    setStatus(form, "");
    if (form === "post") {
      state.compose.post = submit("post", { body, bots: $("bots-off").checked ? "off" : "on" }, "post");
    } else {
      if (!state.thread) return;
      const fields = { post_id: state.thread.post.id, body };
      if (state.replyTo) fields.parent_id = state.replyTo.id;
      state.compose.comment = submit("comment", fields, "comment");
    }
    renderCompose();
  }

  // MARK: Rendering

  // The badge is redrawn every second while reconnecting; a screen reader hears only the changes.
  function setConnection(connection) {
    if (connection !== state.connection && (connection === "online" || connection === "offline")) announce(t(connection));
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
    $("signin-open").hidden = signedIn || !$("signin").hidden;
    $("post-form").hidden = !signedIn;
    $("comment-form").hidden = !signedIn || !state.thread || state.thread.deleted;
    renderBell();
  }

  function updateTitle() {
    const count = state.held.length + state.arrivedHidden + unread();
    document.title = `${count ? `(${count}) ` : ""}gatewayd · ${t("title")}`;
  }

  function render() {
    renderChrome();
    renderCompose();
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

  function relative(iso) {
    const date = new Date(iso);
    const seconds = (Date.now() - date.getTime()) / 1000;
    const format = new Intl.RelativeTimeFormat(locale(), { numeric: "auto" });
    if (seconds < 45) return t("justNow");
    if (seconds < 3600) return format.format(-Math.max(1, Math.round(seconds / 60)), "minute");
    if (seconds < 86400) return format.format(-Math.round(seconds / 3600), "hour");
    if (seconds < 7 * 86400) return format.format(-Math.round(seconds / 86400), "day");
    const sameYear = date.getFullYear() === new Date().getFullYear();
    return date.toLocaleDateString(locale(), { year: sameYear ? undefined : "numeric", month: "short", day: "numeric" });
  }

  function time(iso) {
    const exact = new Date(iso).toLocaleString(locale(), { dateStyle: "medium", timeStyle: "short" });
    return el("time", { datetime: iso, title: exact }, relative(iso));
  }

  function refreshTimes() {
    for (const node of document.querySelectorAll("time[datetime]")) {
      const text = relative(node.getAttribute("datetime"));
      if (node.textContent !== text) node.textContent = text;
    }
  }

  function hue(text) {
    let hash = 0;
    for (const char of text) hash = (hash * 31 + char.codePointAt(0)) >>> 0;
    return hash % 360;
  }

  function initials(name) {
    const words = name.trim().split(/\s+/).filter(Boolean);
    const letters = words.length > 1 ? [words[0], words[1]].map((word) => [...word][0]) : [...(words[0] || "?")].slice(0, 1);
    return letters.join("").toUpperCase();
  }

  function avatar(user) {
    const isBot = user.kind === "bot";
    return el("span", { class: `avatar${isBot ? " bot" : ""}`, "aria-hidden": "true", style: isBot ? null : `--hue:${hue(user.id || user.name)}` }, initials(user.name || "?"));
  }

  // A bot is always labelled as AI next to its persona's name and handle; the engine and model
  // that wrote a comment are in the label's tooltip.
  function authorLine(user, iso, extra, generated) {
    const isBot = user.kind === "bot" || Boolean(generated);
    const persona = user.persona || generated?.persona;
    const label = t("aiLabel", user.name) + (generated ? ` · ${generated.engine} ${generated.model}` : "");
    return el("div", { class: "meta" },
      avatar(isBot ? { ...user, kind: "bot" } : user),
      el("span", { class: "author" }, user.name),
      isBot && persona ? el("span", { class: "handle" }, `@${persona}`) : null,
      isBot ? el("span", { class: "ai-badge", title: label, "aria-label": label, "data-persona": persona }, t("ai")) : null,
      iso ? time(iso) : null,
      extra);
  }

  // Mentions of bots by handle or by name (names may have spaces), and of anyone by @id.
  function mentionPattern() {
    const names = state.personas.flatMap((persona) => [persona.name]).filter((name) => /\s/.test(name))
      .map((name) => name.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"));
    const spaced = names.length ? `(?:${names.join("|")})(?![\\p{L}\\p{N}_])|` : "";
    // A link ends at white space or at full-width punctuation (Chinese text runs on without
    // spaces); an @ inside a word (an e-mail address) is no mention.
    return new RegExp(`(https?:\\/\\/[^\\s<>"'，。！？；：、（）【】「」《》]+)|((?<![\\p{L}\\p{N}_@.])@(?:${spaced}[\\p{L}\\p{N}_][\\p{L}\\p{N}_.-]*))`, "giu");
  }

  // A sentence's closing punctuation is not part of its link; a closing parenthesis is, when the
  // link opened one (https://en.wikipedia.org/wiki/Foo_(bar)).
  function trimLink(url) {
    let link = url.replace(/[.,;:!?\]}'"]+$/u, "");
    const count = (text, char) => text.split(char).length - 1;
    while (link.endsWith(")") && count(link, "(") < count(link, ")")) link = link.slice(0, -1).replace(/[.,;:!?]+$/u, "");
    return link;
  }

  // Text with safe links (http and https only, never a script) and highlighted mentions.
  function richText(body) {
    const nodes = [];
    let last = 0;
    for (const match of body.matchAll(mentionPattern())) {
      let [whole, url] = match;
      let end = match.index + whole.length;
      // Punctuation that ends a sentence is not part of a link or a name.
      whole = url ? trimLink(url) : whole.replace(/[.-]+$/, "");
      end = match.index + whole.length;
      if (match.index > last) nodes.push(body.slice(last, match.index));
      if (url) {
        let safe = null;
        try { const parsed = new URL(whole); if (parsed.protocol === "http:" || parsed.protocol === "https:") safe = parsed.href; } catch { safe = null; }
        nodes.push(safe ? el("a", { href: safe, rel: "noopener noreferrer nofollow", target: "_blank" }, whole) : whole);
      } else {
        const handle = whole.slice(1).toLowerCase();
        const bot = state.personas.find((persona) => persona.id.toLowerCase() === handle || persona.name.toLowerCase() === handle);
        nodes.push(el("span", { class: `mention${bot ? " bot" : ""}` }, whole));
      }
      last = end;
    }
    if (last < body.length) nodes.push(body.slice(last));
    return nodes;
  }

  function bodyBlock(id, body) {
    const long = body.length > LONG_BODY || body.split("\n").length > 12;
    const open = state.expanded.has(id);
    const text = el("p", { class: `body${long && !open ? " clamped" : ""}`, id: `body-${id}` }, richText(body));
    if (!long) return text;
    return [text, el("button", {
      class: "small ghost more", type: "button", "aria-expanded": String(open), "aria-controls": `body-${id}`, "data-key": `${id}:more`,
      onclick: () => { if (open) state.expanded.delete(id); else state.expanded.add(id); render(); },
    }, open ? t("showLess") : t("showMore"))];
  }

  // A bot is named as an AI wherever the page names it, not only beside its comments.
  function who(user) {
    return user?.kind === "bot" ? t("botName", user.name) : (user?.name || "?");
  }

  function snippetOf(body) { return body.length > 40 ? `${body.slice(0, 40)}…` : body; }

  function reactions(target, counts, description) {
    return EMOJI.map((emoji) => {
      const mine = state.reactedByMe.has(`${target}|${emoji}`);
      const count = counts?.[emoji] || 0;
      return el("button", {
        class: "small reaction", type: "button", "aria-pressed": String(mine),
        "aria-label": t(mine ? "reactLabel" : "reactLabelOff", emoji, count, description), "data-key": `${target}:react:${emoji}`,
        disabled: !state.token,
        onclick: () => {
          if (!state.token) return;
          const on = !state.reactedByMe.has(`${target}|${emoji}`);
          if (on) state.reactedByMe.add(`${target}|${emoji}`); else state.reactedByMe.delete(`${target}|${emoji}`);
          submit("react", { target, emoji, on });
        },
      }, count ? `${emoji} ${count}` : emoji);
    });
  }

  // Delete asks first, in place: nothing is sent until the second, explicit choice.
  function deleteControl(id, label) {
    if (!state.token || !state.me) return null;
    if (state.confirming === id) {
      return el("span", { class: "confirm", role: "group", "aria-label": t("confirmDelete") },
        el("span", { class: "hint" }, t("confirmDelete")),
        el("button", { class: "small danger", type: "button", "data-key": `${id}:confirm`, onclick: () => {
          state.confirming = null;
          if (state.token) submit("delete", { target: id });
        } }, t("del")),
        el("button", { class: "small ghost", type: "button", "data-key": `${id}:keep`, onclick: () => { state.confirming = null; render(); focusKey(`${id}:delete`); } }, t("keep")));
    }
    return el("button", { class: "small ghost", type: "button", "aria-label": label, "data-key": `${id}:delete`,
      onclick: () => { state.confirming = id; render(); focusKey(`${id}:keep`); } }, t("del"));
  }

  function focusKey(key) {
    document.querySelector(`[data-key="${CSS.escape(key)}"]`)?.focus({ preventScroll: true });
  }

  function postCard(post, { link }) {
    const count = post.comment_count || 0;
    const mine = Boolean(state.me) && post.author.id === state.me.id;
    const node = el("li", { class: "card post", "data-id": post.id, tabindex: "-1" },
      authorLine(post.author, post.created_at, null, post.generated),
      bodyBlock(post.id, post.body),
      el("div", { class: "actions" },
        reactions(post.id, post.reactions, t("postOf", post.author.name)),
        link ? el("a", { class: "open-thread", href: `#/p/${post.id}`, "data-key": `${post.id}:open`,
          "aria-label": t("threadLabel", t("postOf", post.author.name), count === 0 ? t("noComments") : count === 1 ? t("oneComment") : t("comments", count)) },
          count === 0 ? t("noComments") : count === 1 ? t("oneComment") : t("comments", count)) : null,
        mine ? deleteControl(post.id, t("delPost", snippetOf(post.body))) : null));
    node.dataset.rev = revision(post);
    return node;
  }

  // What a card shows besides the post itself: the reader, their reactions, the language.
  function revision(post) {
    const mine = EMOJI.filter((emoji) => state.reactedByMe.has(`${post.id}|${emoji}`)).join("");
    return [post._rev || 0, state.me?.id || "", mine, language, state.confirming === post.id, state.expanded.has(post.id), Boolean(state.token)].join("|");
  }

  function pendingItems(op, match) {
    return state.outbox.filter((item) => item.op === op && match(item.fields));
  }

  // Keyed: a card is rebuilt only when what it shows changed, and keyboard focus stays on the
  // same control of the same post.
  function renderFeed() {
    renderPill();
    renderOlder();
    updateTitle();
    if (state.thread) return;
    const list = $("posts");
    const wanted = [
      ...pendingItems("post", () => true).reverse().map((item) => ({ key: `o:${item.fields.client_id}`, rev: "pending", build: () =>
        el("li", { class: "card post pending", "data-client-id": item.fields.client_id },
          authorLine(state.me || { id: "", name: t("you"), kind: "human" }, null, el("span", {}, t("pending"))),
          el("p", { class: "body" }, item.fields.body)) })),
      ...state.order.map((id) => state.posts.get(id)).filter(Boolean).map((post) => ({ key: `p:${post.id}`, rev: revision(post), build: () => postCard(post, { link: true }) })),
    ];
    const existing = new Map([...list.children].map((node) => [node.dataset.key, node]));
    // Gone ones first, so that the cards that stay are never moved (moving a node drops focus).
    const keys = new Set(wanted.map((item) => item.key));
    for (const [key, node] of existing) {
      if (keys.has(key)) continue;
      watcher?.unobserve(node);
      node.remove();
    }
    wanted.forEach((item, index) => {
      let node = existing.get(item.key);
      if (!node || node.dataset.rev !== item.rev) {
        const fresh = item.build();
        fresh.dataset.key = item.key;
        fresh.dataset.rev = item.rev;
        if (node) {
          watcher?.unobserve(node);
          replaceKeepingFocus(node, fresh);
        }
        if (fresh.dataset.id) watcher?.observe(fresh);
        node = fresh;
      }
      if (list.children[index] !== node) list.insertBefore(node, list.children[index] || null);
    });
    $("feed-empty").hidden = wanted.length > 0;
  }

  function replaceKeepingFocus(old, fresh) {
    const active = document.activeElement;
    const key = old.contains(active) ? active.dataset.key : null;
    old.replaceWith(fresh);
    if (key) fresh.querySelector(`[data-key="${CSS.escape(key)}"]`)?.focus({ preventScroll: true });
  }

  function renderPill() {
    const pill = $("new-posts");
    const count = state.held.length;
    pill.hidden = count === 0 || Boolean(state.thread);
    pill.textContent = count === 1 ? t("newPost") : t("newPosts", count);
  }

  function renderOlder() {
    const button = $("older");
    button.hidden = !state.hasOlder || state.order.length === 0 || Boolean(state.thread);
    button.disabled = state.loadingOlder;
    button.textContent = state.loadingOlder ? t("loadingOlder") : t("older");
    $("feed-end").hidden = state.hasOlder || state.order.length < PAGE;
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
    const active = document.activeElement;
    const focusKey = active && (article.contains(active) || $("comments").contains(active)) ? active.dataset.key : null;
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
          authorLine(state.me || { id: "", name: t("you"), kind: "human" }, null, el("span", {}, t("pending"))),
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
      const muted = state.muted.has(`${comment.author.id}|${scope}`);
      const nested = build(comment.id);
      return el("li", { class: `comment${isBot ? " bot" : ""}${state.focusComment === comment.id ? " focused" : ""}`, "data-id": comment.id, "data-author": comment.author.id, tabindex: "-1" },
        authorLine(comment.author, comment.created_at, null, comment.generated),
        bodyBlock(comment.id, comment.body),
        el("div", { class: "actions" },
          reactions(comment.id, comment.reactions, t("commentOf", comment.author.name)),
          state.token ? el("button", { class: "small ghost", type: "button", "data-key": `${comment.id}:reply`,
            "aria-label": t("replyLabel", t("commentOf", who(comment.author))), onclick: () => replyTo(comment) }, t("reply")) : null,
          isBot && state.token ? el("button", {
            class: "small ghost mute", type: "button", "aria-pressed": String(muted), "data-key": `${comment.id}:mute`,
            "aria-label": t(muted ? "unmuteLabel" : "muteLabel", comment.author.name),
            onclick: () => submit("mute", { bot: comment.author.id, scope, on: !muted }),
          }, muted ? t("unmute") : t("mute")) : null,
          state.me && comment.author.id === state.me.id ? deleteControl(comment.id, t("delComment", snippetOf(comment.body))) : null),
        nested.length ? el("ol", { class: "comments" }, nested) : null);
    });
    const top = build(null);
    // Replies to a comment deleted since stay readable, under a note where it was.
    for (const parent of children.keys()) {
      if (parent === null || thread.comments.has(parent)) continue;
      top.push(el("li", { class: "comment gone", "data-gone": parent }, el("p", { class: "hint" }, t("commentDeleted")),
        el("ol", { class: "comments" }, build(parent))));
    }
    $("comments").replaceChildren(...top);
    if (focusKey) document.querySelector(`#thread-view [data-key="${CSS.escape(focusKey)}"]`)?.focus({ preventScroll: true });
    // A comment opened from the bell is brought into view once, not on every later update.
    if (state.focusComment && !state.focusDone && thread.comments.has(state.focusComment)) {
      const target = document.querySelector(`#comments li[data-id="${state.focusComment}"]`);
      if (target) {
        state.focusDone = true;
        target.scrollIntoView({ block: "center" });
        target.focus({ preventScroll: true });
      }
    }
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
    renderReplying();
    $("comment-input").focus();
  }

  function renderReplying() {
    const label = $("replying");
    label.hidden = !state.replyTo;
    if (!state.replyTo) return;
    label.replaceChildren(t("replyingTo", who(state.replyTo.author)), " ",
      el("button", { class: "small ghost", type: "button", onclick: () => { state.replyTo = null; renderReplying(); $("comment-input").focus(); } }, t("cancel")));
  }

  // Something the server refused that is not tied to a text box: shown for a few seconds.
  function notify(message) {
    const note = el("p", { class: "error toast", role: "alert" }, message);
    $("main").prepend(note);
    setTimeout(() => note.remove(), 6000);
  }

  // One polite announcement at a time for screen readers: new items only, never the whole list.
  function announce(text) {
    const region = $("announce");
    region.textContent = "";
    setTimeout(() => { region.textContent = text; }, 50);
  }

  function applyLanguage() {
    document.documentElement.lang = language === "zh" ? "zh-CN" : "en";
    for (const node of document.querySelectorAll("[data-i18n]")) node.textContent = t(node.dataset.i18n);
    for (const node of document.querySelectorAll("[data-i18n-placeholder]")) node.placeholder = t(node.dataset.i18nPlaceholder);
    $("language").textContent = language === "zh" ? "English" : "中文";
    $("post-input").setAttribute("title", t("postHint"));
    renderReplying();
    render();
  }

  // MARK: Views and sign-in

  async function route() {
    const match = location.hash.match(/^#\/p\/([A-Za-z0-9_]+)(?:\/c\/([A-Za-z0-9_]+))?$/);
    const previous = state.thread?.post.id;
    if (match) {
      state.focusComment = match[2] || null;
      state.focusDone = false;
      if (!previous) rememberFeedPlace();
      if (previous === match[1] && !state.thread.deleted) {
        // The same thread, another comment in it: it is live already.
        renderThread();
        return;
      }
      if (previous) leaveThread(previous);
      state.thread = null;
      state.typing.clear();
      state.replyTo = null;
      renderReplying();
      $("feed-view").hidden = true;
      $("thread-view").hidden = false;
      renderPill();
      try {
        await loadThread(match[1]);
        subscribe(`thread:${match[1]}`);
      } catch (error) {
        state.thread = { post: { id: match[1] }, comments: new Map(), drafts: new Map(), deleted: true };
        renderThread();
      }
    } else {
      if (previous) leaveThread(previous);
      state.thread = null;
      state.focusComment = null;
      state.replyTo = null;
      renderReplying();
      $("thread-view").hidden = true;
      $("feed-view").hidden = false;
      renderFeed();
      if (previous) restoreFeedPlace();
    }
    renderChrome();
  }

  // The reader's place in the feed is where they come back to from a thread.
  function rememberFeedPlace() {
    const active = document.activeElement;
    state.feedPlace = { scrollY: window.scrollY, key: $("posts").contains(active) ? active.dataset.key : null };
  }

  function restoreFeedPlace() {
    const place = state.feedPlace;
    if (!place) return;
    window.scrollTo({ top: place.scrollY });
    if (place.key) document.querySelector(`#posts [data-key="${CSS.escape(place.key)}"]`)?.focus({ preventScroll: true });
  }

  // Back on the feed, the thread's subscription stays as the card's live counts if it is shown.
  function leaveThread(postID) {
    const name = `thread:${postID}`;
    const stream = state.streams.get(name);
    if (stream && state.posts.has(postID) && state.order.includes(postID)) {
      stream.kind = "watch";
      state.watched.set(postID, Date.now());
    } else {
      unsubscribe(name);
    }
  }

  function threadGone() {
    if (!state.thread) return;
    state.thread.deleted = true;
    unsubscribe(`thread:${state.thread.post.id}`);
    renderThread();
  }

  // Everything that acts as the user goes with them: queued writes, marks, notifications, and the
  // text in the boxes, unless the session ended by itself (an expired token): then the same
  // person is at the keyboard and keeps what they were writing.
  function forgetUser(keepText = false) {
    for (const item of state.outbox) clearTimeout(item.timer);
    state.outbox = [];
    saveOutbox();
    state.compose = { post: null, comment: null };
    for (const [id, entry] of state.requests) if (entry.kind === "write") state.requests.delete(id);
    state.reactedByMe.clear();
    state.muted.clear();
    state.notifications = [];
    state.confirming = null;
    state.replyTo = null;
    for (const name of [...state.streams.keys()]) if (name.startsWith("user:")) unsubscribe(name);
    for (const form of ["post", "comment"]) {
      if (!keepText) $(`${form}-input`).value = "";
      setStatus(form, "");
    }
    $("notifications").hidden = true;
  }

  function signedIn(token, user) {
    forgetUser(user?.id === state.me?.id);
    state.token = token;
    state.me = user;
    state.muted = new Set(JSON.parse(localStorage.getItem(mutedKey()) || "[]"));
    localStorage.setItem("gw.token", token);
    localStorage.setItem("gw.me", JSON.stringify(user));
    $("signin").hidden = true;
    render();
    // A new identity needs a new session; snapshots read with the token mark its reactions.
    state.socket?.close(1000);
    loadFeed().catch(() => {});
  }

  function signOut(reason) {
    forgetUser(Boolean(reason));
    state.token = null;
    state.me = null;
    state.readOnly = true;
    localStorage.removeItem("gw.token");
    localStorage.removeItem("gw.me");
    render();
    showSignIn(reason);
    state.socket?.close(1000);
  }

  async function showSignIn(reason) {
    $("signin").hidden = false;
    $("signin-open").hidden = true;
    $("signin-error").textContent = reason || "";
    // The name form exists only where the server offers the development login.
    // A GET costs no login from the address's few a minute: 405 where the POST route exists.
    const probe = await fetch("/v1/dev/login", { method: "GET" }).catch(() => null);
    const development = probe !== null && probe.status === 405;
    $("name-form").hidden = !development;
    $("token-form").hidden = development;
    if (!$("signin").hidden) $(development ? "name-input" : "token-input").focus();
  }

  async function loadPersonas() {
    try { state.personas = (await http("GET", "/v1/personas")).personas.map(({ id, name }) => ({ id, name })); } catch { state.personas = []; }
  }

  $("name-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    try {
      const answer = await http("POST", "/v1/dev/login", { name: $("name-input").value });
      signedIn(answer.token, answer.user);
    } catch (error) {
      $("signin-error").textContent = error.code === "rate_limited" && error.retryAfter
        ? `${errorText(error.code)} (${error.retryAfter} s)` : errorText(error.code || "unavailable");
    }
  });
  $("token-form").addEventListener("submit", (event) => {
    event.preventDefault();
    signedIn($("token-input").value.trim(), null);
  });
  $("read-only").addEventListener("click", () => { $("signin").hidden = true; renderChrome(); });
  $("signin-open").addEventListener("click", () => showSignIn());
  $("signout").addEventListener("click", () => signOut());
  $("bell").addEventListener("click", toggleNotifications);
  $("new-posts").addEventListener("click", () => showHeld());
  $("older").addEventListener("click", loadOlder);
  $("language").addEventListener("click", () => {
    language = language === "zh" ? "en" : "zh";
    localStorage.setItem("gw.language", language);
    applyLanguage();
  });
  for (const form of ["post", "comment"]) {
    $(`${form}-form`).addEventListener("submit", (event) => { event.preventDefault(); sendCompose(form); });
    const input = $(`${form}-input`);
    input.addEventListener("input", renderCompose);
    // Ctrl+Enter sends anywhere; in a comment, Enter alone does too. Never while an input
    // method is still composing (Chinese, Japanese…).
    input.addEventListener("keydown", (event) => {
      if (event.key !== "Enter" || event.isComposing || event.keyCode === 229) return;
      if (event.ctrlKey || event.metaKey || (form === "comment" && !event.shiftKey && physicalKeyboard.matches)) {
        event.preventDefault();
        sendCompose(form);
      }
    });
  }
  $("comment-input").addEventListener("input", () => {
    // The server passes on one typing signal per 2 s; sending more would only be dropped.
    if (!state.thread || Date.now() - state.lastTypingSent < 2000 || !state.ready || state.readOnly) return;
    state.lastTypingSent = Date.now();
    send({ op: "typing", stream: `thread:${state.thread.post.id}` });
  });
  document.addEventListener("keydown", (event) => {
    if (event.key === "Escape" && !$("notifications").hidden) { toggleNotifications(); $("bell").focus(); }
  });
  document.addEventListener("visibilitychange", () => { if (!document.hidden) { state.arrivedHidden = 0; updateTitle(); } });
  window.addEventListener("scroll", () => {
    if (window.scrollY < 10 && state.held.length && !document.hidden && !state.thread) showHeld(false);
  }, { passive: true });
  // Signing out (or in as someone else) in another tab of this page does it here too.
  window.addEventListener("storage", (event) => {
    if (event.key !== "gw.token" || event.newValue === state.token) return;
    if (!event.newValue) signOut();
    else signedIn(event.newValue, JSON.parse(localStorage.getItem("gw.me") || "null"));
  });
  window.addEventListener("hashchange", route);
  window.addEventListener("offline", () => setConnection("offline"));
  setInterval(() => {
    if (state.connection === "reconnecting") renderChrome();
    if (state.outbox.some((item) => item.holdUntil > Date.now())) renderCompose();
  }, 1000);
  setInterval(refreshTimes, 30000);
  if ("IntersectionObserver" in window) {
    // Older posts come as the reader nears the end of the feed.
    new IntersectionObserver((entries) => { if (entries.some((entry) => entry.isIntersecting)) loadOlder(); }, { rootMargin: "400px 0px" })
      .observe($("older"));
  }

  async function start() {
    applyLanguage();
    if (!state.token) showSignIn();
    await loadPersonas();
    try { await loadFeed(); } catch { /* the socket's reconnect loop brings it back */ }
    await route();
    connect();
  }
  start();
})();
