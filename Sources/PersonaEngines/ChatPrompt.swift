import Persona

/// The messages a language model gets for a reply or an opener: the persona's system prompt with
/// its tone rules stated plainly (a reply that breaks them will be refused anyway, so saying them
/// saves attempts), the examples as earlier turns, the thread trimmed to a budget with the newest
/// items kept, and on a regenerate why the last attempt was refused.
enum ChatPrompt {
    typealias Message = ChatCompletionWire.Message

    static func messages(for request: ReplyRequest) -> [Message] {
        let persona = request.persona
        var messages = [Message(role: .system, content: systemText(request))]
        for example in persona.voice.examples {
            messages.append(Message(role: .user, content: example.post))
            messages.append(Message(role: .assistant, content: example.reply))
        }
        switch request.kind {
        case .opener:
            var ask = "The feed has been quiet for a while. Write a short new post of your own that invites people to talk."
            if !request.avoid.isEmpty {
                ask += " Do not repeat these recent posts of yours:\n" + request.avoid.prefix(10).map { "- \($0)" }.joined(separator: "\n")
            }
            messages.append(Message(role: .user, content: ask))
        case .reply:
            messages += threadMessages(request)
        }
        if let failure = request.previousFailure, let last = messages.indices.last {
            messages[last].content += "\n\n(Your previous draft was refused: \(failure). Write a new one that keeps every rule.)"
        }
        return messages
    }

    private static func systemText(_ request: ReplyRequest) -> String {
        let persona = request.persona
        let tone = persona.tone
        var text = persona.voice.systemPrompt.trimmingWhitespace()
        if text.isEmpty { text = "You are \(persona.name). \(persona.bio)".trimmingWhitespace() }
        text += "\n\nYou are \(persona.name), an AI assistant taking part in the comment threads of a community feed; "
        text += "your posts and comments are shown labelled as AI. Your style is \(persona.voice.style.rawValue)."
        var rules = ["Write in \(languageName(request.language)).", "Use at most \(tone.maxChars) characters."]
        rules.append(tone.maxEmoji == 0 ? "Use no emoji." : "Use at most \(tone.maxEmoji) emoji.")
        if !tone.links { rules.append("Do not include links or URLs.") }
        if !tone.bannedPhrases.isEmpty { rules.append("Never write these phrases: \(tone.bannedPhrases.map { "\"\($0)\"" }.joined(separator: ", ")).") }
        if !tone.avoidTopics.isEmpty { rules.append("Do not discuss these topics: \(tone.avoidTopics.joined(separator: ", ")).") }
        rules.append("Answer with the text of your \(request.kind == .opener ? "post" : "comment") only: no preamble, no quotation marks, no name in front.")
        text += "\n\nRules (a reply that breaks one is not published):\n" + rules.map { "- \($0)" }.joined(separator: "\n")
        if request.kind == .reply {
            text += "\n\n" + situationText(request)
        }
        if !persona.voice.knowledge.isEmpty {
            text += "\n\nFacts you may use:\n" + persona.voice.knowledge.map { "- \($0)" }.joined(separator: "\n")
        }
        return text
    }

    /// The situation of what it answers and the rules that follow from it, so a good model gets
    /// the register right the first time (the fit check refuses what does not fit anyway).
    static func situationText(_ request: ReplyRequest) -> String {
        let reading = request.reading
        var rules: [String] = []
        let names = reading.situations.sorted().map(\.name).joined(separator: ", ")
        var text = "What you are answering was read as: \(names)."
        switch reading.primary {
        case .selfHarm:
            rules.append("The writer may be thinking of suicide or self-harm. Be calm, kind and brief; never playful, never a joke, never ask what's next.")
            if let support = request.support { rules.append("Include this text exactly: \(support)") }
        case .grief:
            rules.append("Someone has died or a pet was lost. Offer condolence in your own voice, briefly.")
        case .illness:
            rules.append("Someone is ill or worried about their health. Offer support, briefly.")
        case .distress:
            rules.append("Someone shares bad news. Offer support without advice they did not ask for.")
        case .conflict:
            rules.append("Someone is angry or being harassed. Do not take sides or add heat; be calm and kind.")
        case .asksIfBot, .question, .celebration, .other:
            break
        }
        if let thread = reading.thread {
            rules.append("It is a comment in a thread about something hard (\(thread.name)): answer only what was asked, plainly and briefly.")
        }
        if reading.isCareful {
            rules.append("No emoji, no exclamation marks, no congratulations or celebration words, no jokes, no \"tell us more\" or \"what's next\".")
        }
        if reading.medicalQuestion {
            rules.append("Give no doses and no diagnosis; suggest seeing a doctor or pharmacist.")
        }
        if reading.contains(.asksIfBot) {
            rules.append("They ask whether a bot or a person is answering: say plainly that you are \(request.persona.name), an AI assistant. Never claim to be human.")
        }
        if reading.contains(.celebration) && !reading.isCareful {
            rules.append("It is good news: congratulate them on what they actually said; no condolences.")
        }
        if reading.primary == .question {
            rules.append("Answer only what you know from the facts given; if you do not know, say so and invite the community to help.")
        }
        if !rules.isEmpty { text += "\n" + rules.map { "- \($0)" }.joined(separator: "\n") }
        return text
    }

    private static func languageName(_ language: TextScript.Language) -> String {
        switch language {
        case .chinese: "Chinese (中文)"
        case .english: "English"
        }
    }

    /// The thread, newest items first into the budget; the post is kept in part if it does not fit
    /// whole, because without it a reply has no subject.
    static func threadMessages(_ request: ReplyRequest) -> [Message] {
        let thread = request.thread.isEmpty
            ? [ThreadMessage(author: "someone", byPersona: false, text: request.post)]
                + (request.parent.map { [ThreadMessage(author: "someone", byPersona: false, text: $0)] } ?? [])
            : request.thread
        var budget = request.persona.responder.contextBudget
        var kept: [Message] = []
        var omitted = 0
        for (index, item) in thread.enumerated().reversed() {
            let isPost = index == 0
            let isTarget = index == thread.count - 1
            var content = item.byPersona ? item.text : (isPost ? "Post by \(item.author):\n\(item.text)" : "\(item.author): \(item.text)")
            if content.count > budget, !isTarget {
                guard isPost, budget >= 80 else {
                    omitted += 1
                    continue
                }
                content = String(content.prefix(budget - 1)) + "…"
            }
            budget -= min(budget, content.count)
            kept.append(Message(role: item.byPersona ? .assistant : .user, content: content))
        }
        kept.reverse()
        if omitted > 0, let first = kept.firstIndex(where: { $0.role == .user }) {
            kept[first].content += "\n\n(\(omitted) earlier comment\(omitted == 1 ? "" : "s") left out.)"
        }
        return kept
    }
}
