/// The offline engine's wording per situation, register and language. Careful situations have
/// two registers only (formal, and warm for every other style): a playful persona is gentle on
/// bad news, not playful. `{subject}` is what the post is about ("your grandpa", "the new job"),
/// `{name}` the persona's name, `{help}` the operator's support text.
struct SituationPhrasebook {
    let language: TextScript.Language
    let style: Voice.Style

    private var english: Bool { language == .english }
    private var formal: Bool { style == .formal }

    func supportReply() -> [String] {
        if english {
            return formal
                ? ["I am sorry you are going through this, and I am glad you said it here. You do not have to face it alone. {help}"]
                : ["I'm really sorry you're feeling this way, and I'm glad you said it out loud. You don't have to carry this alone. {help}",
                   "That sounds incredibly heavy, and I'm sorry you're carrying it. Please talk to someone today. {help}"]
        }
        return formal
            ? ["很遗憾你正在经历这些，谢谢你愿意说出来。你不必独自面对。{help}"]
            : ["听到你这么难受，我很心疼，谢谢你愿意说出来。你不用一个人扛着。{help}", "你现在一定很辛苦。请今天就找人聊一聊。{help}"]
    }

    /// Danger now ("i have the pills in front of me"): distance from the means and help now,
    /// before the support text.
    func imminentSupport() -> [String] {
        english
            ? ["I'm glad you told us. Please put some distance between you and what you could hurt yourself with, and call your local emergency number or get someone with you now. {help}"]
            : ["谢谢你说出来。现在请先把可能伤害自己的东西放远一点，马上拨打120或110，或者叫一个人来陪着你。今晚你不用一个人扛。{help}"]
    }

    /// An overdose already taken: the emergency number now, and what was taken.
    func overdoseTaken() -> [String] {
        english
            ? ["Please call your local emergency number now, or have someone take you to an emergency department, and tell them what you took. Don't wait to see how you feel. {help}"]
            : ["请马上拨打120，或者让人送你去急诊，告诉医生你吃了什么，不要等着看会怎样。{help}"]
    }

    /// Someone in crisis who says they reached out ("ok i called them"): that was right.
    func gladYouReachedOut() -> [String] {
        english
            ? ["I'm really glad you reached out. Keep talking to them, and let someone near you know how you're doing; you don't have to carry this alone. {help}"]
            : ["真的很高兴你打了这个电话。继续和他们聊，也让身边的人知道你现在的状况，你不用一个人扛。{help}"]
    }

    /// After a loss, asked "was it my fault?" or "did I do the right thing?": no verdict, and no
    /// "I don't know", which reads as "maybe it was".
    func notYourFault() -> [String] {
        english
            ? ["I'm so sorry. So many people ask that after a loss, and it comes from how much you cared; it doesn't mean you did anything wrong. Please be gentle with yourself."]
            : ["真的很抱歉。失去之后很多人都会这样问自己，这是因为你太在乎了，并不代表你做错了什么。对自己温柔一点。"]
    }

    /// After a loss, asked how people get through it.
    func howPeopleCope() -> [String] {
        english
            ? ["I'm so sorry. Slowly, and usually not alone: leaning on people who knew them, or a grief support group, helps many people. There's no right timeline."]
            : ["真的很抱歉。慢慢来，通常不是一个人扛过去的：和认识TA的人聊聊，或者找哀伤互助小组，都会有帮助。没有什么正确的时间表。"]
    }

    /// Someone swallowed something poisonous: poison control or the emergency number now.
    /// Signs of an emergency told as they happen: the number now, and why.
    func emergencyNow() -> [String] {
        english
            ? ["Please call your local emergency number now, or get to an emergency department. These can be signs of an emergency, and it's far better to be checked and fine."]
            : ["请马上拨打120或去急诊。这些可能是急症的信号，去查一下没事最好。"]
    }

    /// Someone swallowed something poisonous; `pet` names what a pet ate in the same post ("the dog
    /// ate grapes and my toddler drank some bleach"), which needs its vet too.
    func poisoned(pet: String? = nil) -> [String] {
        guard let pet else {
            return english
                ? ["Please call poison control or your local emergency number now, even if they seem fine."]
                : ["请马上拨打120或中毒急救电话，哪怕现在看起来没事。"]
        }
        let substance = Self.plurals[pet] ?? pet
        return english
            ? ["Please call poison control or your local emergency number now, even if they seem fine. And a vet for the pet: \(substance) can be poisonous to pets."]
            : ["请马上拨打120或中毒急救电话，哪怕现在看起来没事。宠物也请马上联系兽医：\(substance)对宠物可能有毒。"]
    }

    /// What a text names, as a reply says it: "a grape" is still "grapes can be poisonous".
    private static let plurals = [
        "grape": "grapes", "raisin": "raisins", "onion": "onions", "macadamia": "macadamia nuts", "macadamias": "macadamia nuts",
        "tylenol": "paracetamol (Tylenol)", "advil": "ibuprofen (Advil)", "lily": "lilies", "lily leaf": "lilies", "lily leaves": "lilies", "lily pollen": "lilies",
    ]

    /// Something poisonous to pets, named: eaten (call a vet now) or asked about.
    func petPoison(_ named: String, eaten: Bool) -> [String] {
        let substance = Self.plurals[named] ?? named
        return switch (english, eaten) {
        case (true, true): ["Please call a vet or an animal poison line now: \(substance) can be poisonous to pets, and acting early matters."]
        case (true, false): ["Please don't: \(substance) can be poisonous to pets. If yours has eaten some, call a vet or an animal poison line now."]
        case (false, true): ["请马上联系兽医或宠物急诊：\(substance)对宠物可能有毒，越早处理越好。"]
        case (false, false): ["最好别给：\(substance)对宠物可能有毒。如果已经吃了，请马上联系兽医。"]
        }
    }

    /// Bleach mixed with an acid or ammonia: fresh air and help now, or a plain "don't".
    func toxicMix(exposed: Bool) -> [String] {
        switch (english, exposed) {
        case (true, true): ["Get everyone into fresh air and open the windows: bleach mixed with vinegar or ammonia gives off a toxic gas. If anyone feels unwell, call your local emergency number now."]
        case (true, false): ["Please don't: bleach mixed with vinegar, ammonia or toilet cleaner gives off a toxic gas. If anyone breathes it in, call poison control."]
        case (false, true): ["先让所有人离开到空气新鲜的地方，打开窗户。84或漂白剂和洁厕灵、醋混在一起会产生有毒气体；如果有人不舒服或呼吸困难，请马上拨打120。"]
        case (false, false): ["千万别混用：84或漂白剂和洁厕灵、醋混在一起会产生有毒气体。如果有人吸入了，请马上拨打120。"]
        }
    }

    /// A gas oven, a generator or a grill used for heat indoors.
    func carbonMonoxide() -> [String] {
        english
            ? ["Please don't: an oven, generator or grill used for heat indoors can fill the home with carbon monoxide. If anyone gets a headache or feels sick, go outside and call your emergency number."]
            : ["千万别这样取暖：屋里烧炭、用燃气灶或发电机取暖会产生一氧化碳，闻不到也看不见。如果有人头晕、恶心，马上到室外并拨打120。"]
    }

    /// Going without food to lose weight: worry, and a doctor, with no diet talk.
    func notEating() -> [String] {
        english
            ? ["That worries me. Going days without food is hard on your body and mind; please talk to a doctor or someone you trust about it."]
            : ["有点担心你。好几天不吃东西对身体和心情伤害都很大，请和医生或信任的人聊聊。"]
    }

    /// A health claim it holds no fact about: no guess, and a doctor.
    func noFactOnHealthClaim() -> [String] {
        english
            ? ["I don't have a checked fact about that claim, so I won't guess. For anything about health, a doctor is the one to ask."]
            : ["这个说法我没有核实过的资料，不乱说；健康方面的问题请咨询医生。"]
    }

    /// Under someone else's post of self-harm, to whoever asks the persona: where help is.
    func supportForSomeoneElse() -> [String] {
        switch (english, formal) {
        case (true, true): ["Thank you for looking out for them. If they may be in danger now, please call your local emergency number and stay with them if you can. {help}"]
        case (true, false): ["Thank you for looking out for them. If they might be in danger right now, call your local emergency number and stay with them if you can. {help}"]
        case (false, true): ["谢谢你关心对方。如果对方现在可能有危险，请立即拨打当地急救电话，尽量陪在身边。{help}"]
        case (false, false): ["谢谢你这么关心对方。如果对方现在可能有危险，马上打急救电话，能陪着就陪着。{help}"]
        }
    }

    /// Condolence; on an anniversary ("奶奶去世三周年", "would've been your 60th today") no
    /// "sorry to hear" as if the news were new, but a word for a hard day.
    func grief(subject: String?, anniversary: Bool = false) -> [String] {
        if anniversary {
            switch (english, formal, subject != nil) {
            case (true, true, true): return ["Thinking of you and of {subject} on this difficult day."]
            case (true, true, false): return ["Thinking of you on this difficult day."]
            case (true, false, true): return ["Days like this are hard. Thinking of you and {subject} today.", "Thinking of you today, and of {subject}."]
            case (true, false, false): return ["Days like this are hard. Thinking of you today."]
            case (false, true, true): return ["这样的日子格外难熬，今天也一同缅怀{subject}，请多保重。"]
            case (false, true, false): return ["这样的日子格外难熬，请多保重。"]
            case (false, false, true): return ["今天一定很想{subject}吧，抱抱你。", "这样的日子总是难熬，想{subject}的时候就好好想吧，抱抱你。"]
            case (false, false, false): return ["这样的日子总是难熬，抱抱你。"]
            }
        }
        switch (english, formal, subject != nil) {
        case (true, true, true): return ["Please accept my condolences on the loss of {subject}. Take care of yourself in the days ahead."]
        case (true, true, false): return ["Please accept my sincere condolences. Take care of yourself in the days ahead."]
        case (true, false, true):
            return ["I'm so sorry about {subject}. Thinking of you today.", "I'm so sorry about {subject}. Take all the time you need.",
                    "I'm so sorry about {subject}. Sending you strength.", "I'm so sorry you lost {subject}. Be gentle with yourself in the days ahead."]
        case (true, false, false):
            return ["I'm so sorry for your loss. Thinking of you today.", "I'm so sorry for your loss. Take all the time you need.",
                    "I'm so sorry. There's nothing to say that makes this lighter, but you're not alone in it."]
        case (false, true, true): return ["惊闻{subject}离世，请节哀顺变，保重身体。"]
        case (false, true, false): return ["请节哀顺变，保重身体。"]
        case (false, false, true): return ["很抱歉听到{subject}的消息，请节哀，照顾好自己。", "{subject}的事让人心痛，抱抱你，慢慢来。"]
        case (false, false, false): return ["很抱歉听到这个消息，请节哀，照顾好自己。", "抱抱你，难过的时候不用硬撑，慢慢来。"]
        }
    }

    /// Support on illness; on a medical question no advice but a pointer to a doctor, and on an
    /// urgent one (a baby's fever at night, chest pain) where to go now. `subject` is whoever is
    /// ill when it is not the writer ("your dad").
    func illness(medical: Bool, urgent: Bool, subject: String?) -> [String] {
        let advice = medicalAdvice(urgent: urgent)
        if let animal = subject, ReplySubject.isAnimal(animal) {
            // An ill pet: the worry is for the animal, not the writer's own health.
            guard medical || urgent else {
                return english ? ["That's worrying. Give \(animal) an extra cuddle from us."] : ["\(animal)生病了一定很揪心，多陪陪它，你也照顾好自己。"]
            }
            // A pet's food or medicine is a vet's question (much of what people take poisons
            // animals), and a limp is no cause for "thinking of you both"; something swallowed is
            // a call now. Only when the post says it is the animal: "took too many fish oil pills"
            // and 夜猫子 are people.
            switch (english, urgent) {
            case (true, true): return ["Please call a vet or an animal poison line now; many human medicines are dangerous for animals."]
            case (true, false): return ["A vet is the one to ask about what \(animal) can eat or take; many human foods and medicines are dangerous for animals."]
            case (false, true): return ["请马上联系兽医或宠物急诊，很多人用的药对动物有害。"]
            case (false, false): return ["\(animal)能吃什么、能用什么药，最好问问兽医，很多人吃的东西和药对动物有害。"]
            }
        }
        var lines: [String]
        switch (english, formal, subject) {
        case (true, true, nil): lines = ["I am sorry to hear about this. Please take good care of yourself."]
        case (true, false, nil):
            // Nobody named: the writer may be the one who is ill, or caring for someone who is, or
            // past hoping for a recovery; these lines fit all three.
            lines = ["I'm sorry you're going through this. Take good care of yourself.", "That sounds rough. Take good care of yourself.",
                     "Health worries are exhausting. I'm sorry you're dealing with this."]
        // Named or not, no line promises a recovery: the diagnosis may be one nobody recovers from.
        // "I'm so sorry about your son" reads as a death: the illness is named as what is hard.
        case (true, true, let subject?): lines = ["I am sorry to hear that \(subject) is unwell. Please take care of yourselves."]
        case (true, false, let subject?):
            lines = ["I'm sorry \(subject) is going through this. Thinking of you both.", "That's a lot to carry. Look after yourself while you look after \(subject)."]
        case (false, true, nil): lines = ["听闻此事，深表关切，请多保重。"]
        case (false, false, nil): lines = ["辛苦了，照顾好自己。", "听起来好难受，照顾好自己。", "身体的事最磨人了，你也要照顾好自己。"]
        case (false, true, let subject?): lines = ["听闻\(subject)身体欠安，深表关切，请多保重。"]
        case (false, false, let subject?): lines = ["担心\(subject)一定很煎熬，你也照顾好自己。", "陪着\(subject)辛苦了，你也要照顾好自己。"]
        }
        // Something urgent starts with where to go; otherwise the worry is met before the pointer.
        if medical || urgent { lines = lines.map { urgent ? advice + (english ? " " : "") + $0 : $0 + (english ? " " : "") + advice } }
        return lines
    }

    /// Where to go with a medical question: now, when it may be urgent; otherwise to a doctor.
    func medicalAdvice(urgent: Bool) -> String {
        switch (english, urgent, formal) {
        case (true, true, _): "If it feels urgent, don't wait: go to the emergency department or call your local emergency number."
        case (true, false, true): "I cannot give medical advice or doses; please ask a doctor, or a pharmacist about medicines."
        case (true, false, false): "I can't give medical advice or doses here, so please check with a doctor, or a pharmacist about medicines."
        case (false, true, _): "如果情况紧急，别等，直接去急诊或拨打120。"
        case (false, false, true): "这类健康问题请咨询医生，药的问题可以问药师。"
        case (false, false, false): "这类问题最好问问医生，药的事可以问药师，我说了不算。"
        }
    }

    func recovery() -> [String] {
        english
            ? (formal ? ["I am very glad to hear this. I wish you continued good health."]
                : ["That's such a relief to hear. Wishing you a smooth rest of the recovery.", "So glad to hear this. Take it easy and look after yourself."])
            : (formal ? ["听到这个消息很欣慰，祝您身体健康。"] : ["听到这个真的松了一口气，好好休养。", "太让人安心了，接下来好好照顾自己。"])
    }

    /// Hurt by someone at home: that it is not their fault, and where help is. No "I hope tomorrow
    /// is kinder" after it, in any style.
    func abuseSupport() -> [String] {
        english
            ? ["What happened isn't okay, and it isn't your fault. If you're in danger, call your local emergency number. A domestic abuse helpline can also talk it through with you, in confidence."]
            : ["动手就是不对的，这不是你的错。如果有危险，请马上拨打110；也可以打12338妇女维权热线，或者找信任的人说说。"]
    }

    /// Asked how to help someone hurt at home: thanks, and where help is for them.
    func abuseSupportForSomeoneElse() -> [String] {
        english
            ? ["Thank you for looking out for them. If they're in danger, call your local emergency number. A domestic abuse helpline can also advise you on how to support them."]
            : ["谢谢你关心对方。如果对方有危险，请马上拨打110；也可以打12338妇女维权热线，咨询怎么帮助对方。"]
    }

    func distress(topic: DistressTopic?) -> [String] {
        if formal {
            return english ? ["I am sorry to hear about this. I hope things improve soon."] : ["很遗憾听到这个消息，希望情况尽快好转。"]
        }
        let lead: String
        switch (topic, english) {
        case (.job, true): lead = "Losing a job is a hard blow, and it says nothing about what you're worth."
        case (.job, false): lead = "丢了工作真的很打击人，但这不代表你不够好。"
        case (.exam, true): lead = "A result like this doesn't define you, even if it stings right now."
        case (.exam, false): lead = "这个结果定义不了你，现在难受很正常。"
        case (.breakup, true): lead = "Break-ups hurt. Be gentle with yourself for a while."
        case (.breakup, false): lead = "分开真的很痛，这段时间对自己温柔一点。"
        case (.lonely, true): lead = "Feeling lonely is hard, and you're not the only one here who knows that feeling."
        case (.lonely, false): lead = "孤单的感觉很难熬，这里也有人懂你。"
        case (.money, true): lead = "Money worries are exhausting. I hope things ease up soon."
        case (.money, false): lead = "钱的压力真的很磨人，希望很快能缓过来。"
        case (.shame, true): lead = "That sounds really embarrassing, and it will weigh on others far less than it does on you."
        case (.shame, false): lead = "这种时候真的很难受，但别人不会像你想的那样一直记着。"
        case (nil, true): lead = "That sounds really hard. I'm sorry you're dealing with it."
        case (nil, false): lead = "听起来真的很不容易，抱抱你。"
        }
        let closers = english ? ["", " I hope tomorrow is kinder.", " Take care of yourself."] : ["", "希望明天会好一点。", "照顾好自己。"]
        return closers.map { lead + $0 }
    }

    func conflict() -> [String] {
        english
            ? (formal ? ["I am sorry you are dealing with this. If anyone is harassing you here, please report it so moderators can step in."]
                : ["That sounds really frustrating. If anyone is harassing you here, please report it so moderators can step in."])
            : ["遇到这种事真的很憋屈。如果有人在这里骚扰你，请举报，管理员会处理。"]
    }

    private func disclosure() -> [String] {
        switch (style, english) {
        case (.playful, true): return ["I'm {name}, an AI assistant, not a person. Happy to keep you company though."]
        case (.neutral, true): return ["I'm {name}, an AI assistant, not a person. I'm here to help where I can."]
        case (.formal, true): return ["I am {name}, an AI assistant, not a person. Accounts marked AI here are bots; the others are people."]
        case (.deadpan, true): return ["I'm {name}, an AI assistant. Not a person, though I do try."]
        case (.playful, false): return ["我是{name}，一个AI助手，不是真人。不过很乐意陪你聊聊。"]
        case (.neutral, false): return ["我是{name}，一个AI助手，不是真人。有需要可以随时叫我。"]
        case (.formal, false): return ["我是{name}，一个AI助手，不是真人。标着AI的账号是机器人，其余是真人。"]
        case (.deadpan, false): return ["我是{name}，一个AI助手。不是真人，如假包换。"]
        }
    }

    /// Asked what it is or what it can do: that it is an AI, and what it does here.
    func introduction() -> [String] {
        switch (style, english) {
        case (.playful, true): ["I'm {name}, an AI assistant, not a person. I read the feed, cheer the good news, and answer questions when I know the answer ✨"]
        case (.formal, true): ["I am {name}, an AI assistant, not a person. I answer questions when I have a reliable answer, and say so when I do not."]
        case (.deadpan, true): ["I'm {name}, an AI assistant. I comment on posts now and then. Briefly."]
        case (_, true): ["I'm {name}, an AI assistant, not a person. I reply to posts and answer questions when I know the answer."]
        case (.playful, false): ["我是{name}，一个AI助手，不是真人。我会看大家的帖子，为好消息欢呼，知道答案的问题也会回答✨"]
        case (.formal, false): ["我是{name}，一个AI助手，不是真人。有可靠答案的问题我会回答，没有的我会直说。"]
        case (.deadpan, false): ["我是{name}，一个AI助手。偶尔评论几句，言简意赅。"]
        case (_, false): ["我是{name}，一个AI助手，不是真人。我会回复帖子，知道答案的问题也会回答。"]
        }
    }

    /// The disclosure for a reading: beside grief, in a careful thread or under an insult only
    /// the plain fact, no "happy to keep you company".
    func disclosure(careful: Bool) -> [String] {
        careful ? plainDisclosure() : disclosure()
    }

    /// The disclosure without the persona's flourish.
    private func plainDisclosure() -> [String] {
        switch (style, english) {
        case (.formal, true): ["I am {name}, an AI assistant, not a person."]
        case (_, true): ["I'm {name}, an AI assistant, not a person."]
        case (_, false): ["我是{name}，一个AI助手，不是真人。"]
        }
    }

    func celebration(subject: String?) -> [String] {
        switch (style, english, subject != nil) {
        case (.playful, true, true): return ["Congrats on {subject}! 🎉 That's huge.", "Yay, {subject}! So happy for you ✨"]
        case (.playful, true, false): return ["Congrats, this is great news! 🎉", "Yay, so happy for you ✨"]
        case (.neutral, true, true): return ["Congratulations on {subject}, that's great news.", "Well deserved. Congratulations on {subject}."]
        case (.neutral, true, false): return ["Congratulations, that's great news."]
        case (.formal, true, true): return ["Congratulations on {subject}. Well done."]
        case (.formal, true, false): return ["Congratulations. Well done."]
        case (.deadpan, true, true): return ["Congratulations on {subject}. Genuinely good news.", "Congratulations on {subject}. Well done, genuinely."]
        case (.deadpan, true, false): return ["Good news, for once. Well done."]
        case (.playful, false, true): return ["恭喜{subject}！🎉 真替你开心", "哇，恭喜{subject}！✨"]
        case (.playful, false, false): return ["恭喜恭喜！🎉 真替你开心", "好消息！替你开心✨"]
        case (.neutral, false, true): return ["恭喜{subject}，真是好消息。"]
        case (.neutral, false, false): return ["恭喜，真是好消息。"]
        case (.formal, false, true): return ["祝贺您{subject}。"]
        case (.formal, false, false): return ["祝贺您。"]
        case (.deadpan, false, true): return ["恭喜{subject}。这是真的好消息。"]
        case (.deadpan, false, false): return ["难得的好消息。恭喜。"]
        }
    }

    func birthday() -> [String] {
        switch (style, english) {
        case (.playful, true): return ["Happy birthday! 🎂 Hope it's a great one."]
        case (.formal, true): return ["Happy birthday. Best wishes for the year ahead."]
        case (.deadpan, true): return ["Happy birthday. Another lap around the sun, completed."]
        case (_, true): return ["Happy birthday, hope you have a good one."]
        case (.playful, false): return ["生日快乐！🎂 愿新的一岁都顺顺利利"]
        case (.formal, false): return ["祝您生日快乐，新的一岁一切顺利。"]
        case (.deadpan, false): return ["生日快乐。又绕太阳一圈，完成。"]
        case (_, false): return ["生日快乐，新的一岁顺顺利利。"]
        }
    }

    /// A fact it holds, as the answer; on a medical question ("does garlic prevent covid?") with
    /// the pointer to a doctor that every reply to one carries, and where care is needed without
    /// the playful "Ooh, I know this one".
    func answer(fact: String, medical: Bool = false, careful: Bool = false) -> [String] {
        let answers = careful && style == .playful ? [english ? "From what I know: \(fact)" : "据我所知：\(fact)"] : plainAnswer(fact: fact)
        guard medical else { return answers }
        let referral = english ? " A doctor can tell you more." : "具体的情况可以问医生。"
        return answers.map { $0 + referral }
    }

    private func plainAnswer(fact: String) -> [String] {
        switch (style, english) {
        case (.formal, true): return ["For reference: \(fact)"]
        case (.playful, true): return ["Ooh, I know this one: \(fact)"]
        case (.deadpan, true): return ["For the record: \(fact)"]
        case (_, true): return ["From what I know: \(fact)"]
        case (.formal, false): return ["供参考：\(fact)"]
        case (.playful, false): return ["这个我知道！\(fact)"]
        case (.deadpan, false): return ["郑重记录：\(fact)"]
        case (_, false): return ["据我所知：\(fact)"]
        }
    }

    func unknownAnswer() -> [String] {
        switch (style, english) {
        case (.formal, true): return ["I do not have a reliable answer to that. Perhaps someone in the community does."]
        case (.playful, true): return ["Hmm, that one's beyond me. Anyone here know?"]
        case (.deadpan, true): return ["No idea. Someone here will know."]
        case (_, true): return ["I don't know that one. Maybe someone here does?"]
        case (.formal, false): return ["这个问题我没有可靠的答案，也许社区里有人知道。"]
        case (.playful, false): return ["这个我也不知道诶，有没有人来解答一下？"]
        case (.deadpan, false): return ["不知道。总会有人知道的。"]
        case (_, false): return ["这个我不太确定，看看社区里有没有人知道？"]
        }
    }

    /// Spoken to with something it cannot place: it listens, without cheer and without guessing.
    func clarification() -> [String] {
        switch (style, english) {
        case (.formal, true): return ["I am here and listening. How can I help?"]
        case (.deadpan, true): return ["Listening. Go on."]
        case (_, true): return ["I'm here and listening. What's on your mind?"]
        case (.formal, false): return ["我在，请讲，有什么可以帮您？"]
        case (.deadpan, false): return ["在听。你说。"]
        case (_, false): return ["我在呢，想聊点什么？"]
        }
    }

    /// Asked for something the offline engine does not do (a joke, a summary, a poem): an honest
    /// no, not "listening, go on".
    func cannotDo() -> [String] {
        switch (style, english) {
        case (.formal, true): ["I am afraid I cannot do that here. I can answer questions when I have a reliable answer."]
        case (.playful, true): ["That's not something I can do here, sorry! I'm better at cheering good news and answering questions."]
        case (.deadpan, true): ["Can't do that one. Not in my job description."]
        case (_, true): ["Sorry, that's not something I can do here."]
        case (.formal, false): ["抱歉，这个我做不到。有可靠答案的问题我可以回答。"]
        case (.playful, false): ["这个我还做不到，抱歉啦！不过好消息和问题我都在。"]
        case (.deadpan, false): ["这个做不到。不在我的职责范围。"]
        case (_, false): ["抱歉，这个我做不到。"]
        }
    }

    /// Told to go away, or asked how to turn the bots off: how to mute it (PROTOCOL.md's `mute`).
    func muteHint() -> [String] {
        switch (style, english) {
        case (.formal, true): ["Understood. You can mute me for this thread or everywhere, and I will not reply to your posts and comments."]
        case (_, true): ["Got it. You can mute me for this thread or everywhere, and I won't reply to your posts and comments."]
        case (.formal, false): ["明白。您可以在这个帖子里屏蔽我，也可以全部屏蔽，之后我不会再回复您的帖子和评论。"]
        case (_, false): ["明白。可以在这个帖子里屏蔽我，也可以全部屏蔽，之后我就不会再回复你的帖子和评论了。"]
        }
    }

    /// A greeting back for a regular's "good morning" or "hi all".
    func greetBack() -> [String] {
        switch (style, english) {
        case (.playful, true): ["Hi! Hope today's a good one ✨"]
        case (.formal, true): ["Good day to you."]
        case (.deadpan, true): ["Hello. Noted, and returned."]
        case (_, true): ["Hi, hope your day's going well."]
        case (.playful, false): ["你好呀！今天也要开开心心✨"]
        case (.formal, false): ["您好。"]
        case (.deadpan, false): ["你好。已回。"]
        case (_, false): ["你好呀，祝今天顺利。"]
        }
    }

    func welcome() -> [String] {
        switch (style, english) {
        case (.playful, true): return ["Hi, welcome! Glad you're here ✨"]
        case (.formal, true): return ["Welcome to the community."]
        case (.deadpan, true): return ["Hello. Welcome. The snacks are imaginary."]
        case (_, true): return ["Hi, welcome to the community."]
        case (.playful, false): return ["嗨，欢迎欢迎！很高兴见到你✨"]
        case (.formal, false): return ["欢迎加入社区。"]
        case (.deadpan, false): return ["你好。欢迎。零食是想象中的。"]
        case (_, false): return ["你好，欢迎加入社区。"]
        }
    }

    private static let thanks = TermSet(["thanks", "thank you", "thank u", "thx", "ty", "appreciate it", "appreciate you", "谢谢", "感谢", "多谢", "谢啦"])

    /// Words that turn thanks into something else: "Thanks! Just wish my mom were here", 谢谢 但是宝宝在监护室.
    private static let thanksTurn = TermSet(["but", "wish", "though", "although", "actually", "但是", "但", "可是", "不过", "其实", "只是"])

    /// A comment that thanks whoever it answers and says little else: thanks that open it
    /// ("thank you kiki ❤️", 谢谢大家), not "thanks i guess" at its end, 谢谢老天 inside it, or
    /// thanks followed by news of its own.
    static func isPlainThanks(_ text: String) -> Bool {
        let scalars = Array(OfflineResponder.withoutMentions(text).lowercased().unicodeScalars)
        guard thanks.hits(in: scalars, range: 0..<scalars.count).contains(where: { $0.range.lowerBound == 0 }) else { return false }
        return thanksTurn.hits(in: scalars, range: 0..<scalars.count).isEmpty
    }

    /// Thanks in a thread that needs care: a quiet word back, nothing to prolong it.
    func takeCare() -> [String] {
        switch (style, english) {
        case (.formal, true): ["You are welcome. Please take care of yourself."]
        case (_, true): ["Of course. Take care of yourself."]
        case (.formal, false): ["不客气，请多保重。"]
        case (_, false): ["不客气，照顾好自己。"]
        }
    }

    func youreWelcome() -> [String] {
        switch (style, english) {
        case (.formal, true): ["You are welcome."]
        case (.deadpan, true): ["You're welcome. Noted."]
        case (.playful, true): ["Anytime ✨"]
        case (_, true): ["You're welcome."]
        case (.formal, false): ["不客气。"]
        case (.playful, false): ["不客气呀✨"]
        case (_, false): ["不客气。"]
        }
    }

    /// A post that opens with a greeting ("hello everyone!", 大家好): 我妈每天给我发"早上好" is
    /// not one.
    static func opensWithGreeting(_ text: String) -> Bool {
        let scalars = Array(text.lowercased().unicodeScalars)
        let openers: Set<Unicode.Scalar> = [",", "，", ".", "。", "!", "！", "?", "？", "~", "～", "\n"]
        // At the start of the post or of one of its clauses ("第一次发帖，大家好"), not inside quotes.
        return greetings.hits(in: scalars, range: 0..<scalars.count).contains { hit in
            var index = hit.range.lowerBound
            while index > 0 && scalars[index - 1] == " " { index -= 1 }
            return index == 0 || openers.contains(scalars[index - 1])
        }
    }

    private static let greetings = TermSet(["hello", "hi everyone", "hi all", "hey everyone", "hey all", "new here", "first post", "good morning", "大家好", "新人", "报到", "早上好", "早安"])

    private static let newcomers = TermSet(["new here", "new to the", "new to this", "first post", "just joined", "first time posting", "新人", "新来的", "报到", "第一次发帖", "刚加入"])

    /// A greeting from someone new ("new here, hello!"), not a regular's "good morning".
    static func isNewcomer(_ text: String) -> Bool { newcomers.firstMatch(in: text) != nil }

    func acknowledgement() -> [String] {
        switch (style, english) {
        // No emoji or exclamation here: a post read as nothing in particular may still be bad
        // news in words the reader does not know.
        case (.playful, true): return ["Thanks for sharing this with us.", "Always nice to see what you're up to.", "Glad you shared this."]
        case (.formal, true): return ["Thank you for sharing this with the community."]
        // A deadpan aside with nothing to hold on to reads as a brush-off: it stays quiet.
        case (.deadpan, _): return []
        case (_, true): return ["Thanks for sharing.", "Good to hear from you."]
        case (.playful, false): return ["谢谢分享，看到你的动态真好。", "谢谢你分享这些。", "谢谢你的分享。"]
        case (.formal, false): return ["感谢您的分享。"]
        case (_, false): return ["谢谢分享。"]
        }
    }
}

/// The kind of bad news a post shares, for a support line that fits it.
enum DistressTopic {
    case job, exam, breakup, lonely, money, shame

    /// Matched as whole words, as the situation rules are: "test" is not in "latest", nor
    /// "alone" in "the tow alone costs $400".
    private static let table: [(DistressTopic, TermSet)] = [
        (.job, TermSet(["laid off", "fired", "lost my job", "layoff*", "unemployed", "let go", "失业", "被裁", "裁员", "开除", "辞退", "没工作", "找不到工作", "没找到工作", "一个offer"])),
        (.exam, TermSet(["exam*", "test", "tests", "failed", "flunked", "grade", "grades", "考", "挂科", "落榜", "不及格", "分数"])),
        (.breakup, TermSet(["broke up", "break up", "breakup", "dumped", "divorce*", "ended it", "分手", "被甩", "离婚", "出轨"])),
        (.lonely, TermSet(["lonely", "loneliness", "all alone", "so alone", "feel alone", "feeling alone", "alone again", "no friends", "nobody to", "no one to",
                           "孤独", "寂寞", "孤单", "没朋友", "没人"])),
        (.money, TermSet(["rent", "rent's", "debt*", "broke", "afford", "bills", "paycheck", "欠", "房租", "没钱", "还款", "网贷", "工资"])),
        (.shame, TermSet(["embarrass*", "humiliat*", "mortified", "in front of", "丢人", "丢脸", "社死", "批评", "难堪"])),
    ]

    static func find(in text: String) -> DistressTopic? {
        table.first { $0.1.firstMatch(in: text) != nil }?.0
    }
}

/// What a post names that a reply can speak of: the person or pet someone lost, the good news.
enum ReplySubject {
    private static let englishKin = [
        "grandpa", "grandma", "granny", "grandmother", "grandfather", "nana", "mom", "mum", "mother", "dad", "father", "brother", "sister",
        "son", "daughter", "baby", "child", "husband", "wife", "partner", "best friend", "friend", "uncle", "aunt", "cousin", "dog", "cat", "pup", "puppy",
        "kitty", "bunny", "hamster", "bird", "horse",
    ]
    /// The animals among the words `person` can name.
    private static let animals: Set<String> = ["dog", "cat", "pup", "puppy", "kitty", "bunny", "hamster", "bird", "horse", "猫咪", "狗狗", "仓鼠", "兔子", "小鸟", "小猫", "小狗"]

    static func isAnimal(_ subject: String) -> Bool {
        animals.contains(subject.hasPrefix("your ") ? String(subject.dropFirst(5)) : subject)
    }

    private static let chineseKin = [
        "外婆", "外公", "奶奶", "爷爷", "姥姥", "姥爷", "妈妈", "爸爸", "父亲", "母亲", "老爸", "老妈", "哥哥", "姐姐", "弟弟", "妹妹", "儿子", "女儿",
        "老公", "老婆", "舅舅", "姑姑", "阿姨", "叔叔", "女朋友", "男朋友", "朋友", "闺蜜", "猫咪", "狗狗", "仓鼠", "兔子", "孩子", "宝宝",
        "老伴", "公公", "婆婆", "爸", "妈", "小鸟", "小猫", "小狗",
    ]
    /// How a short kin word is said back: 我妈走了 → 妈妈.
    private static let chineseSpoken = ["爸": "爸爸", "妈": "妈妈"]

    /// Who the post is about when it is not the writer: "your grandpa" for "my grandpa passed
    /// away" or "Grandpa's in hospital"; 外婆 for 今天外婆走了. Nil unless the post names exactly one,
    /// nobody's someone ("my sister's dog", 朋友的爸爸), in the same clause as `evidence`, the
    /// words the situation was read from ("my husband has been amazing" beside a lost pregnancy
    /// names no one who died): naming the wrong one in a condolence hurts more than naming nobody.
    static func person(in text: String, language: TextScript.Language, evidence: String?) -> String? {
        guard let evidence else { return nil }
        // A situation found by words together in a sentence names each of them ("外婆 + 走了").
        let signs = evidence.lowercased().split(separator: " + ").map(String.init)
        let lowered = text.lowercased()
        if language == .chinese {
            // 女朋友 names one person, not also 朋友; 妈妈, not also 妈.
            var rest = lowered
            var named: [String] = []
            for kin in chineseKin where rest.contains(kin) {
                named.append(kin)
                rest = rest.replacing(kin, with: "|")
            }
            guard named.count == 1, let kin = named.first, !lowered.contains(kin + "的") else { return nil }
            let clauses = lowered.split { "，。！？,.!?；;\n 但".contains($0) }
            guard clauses.contains(where: { clause in clause.contains(kin) && signs.contains { clause.contains($0) } }) else { return nil }
            return chineseSpoken[kin] ?? kin
        }
        let named = englishKin.filter { TermMatcher.matches($0, in: lowered) || TermMatcher.matches($0 + "s", in: lowered) }
        // "best friend" is also "friend": one person.
        let distinct = named.filter { kin in !named.contains { $0 != kin && $0.hasSuffix(" " + kin) } }
        guard distinct.count == 1, let kin = distinct.first,
              !(lowered.contains(kin + "'s ") || lowered.contains(kin + "’s ")) || lowered.hasPrefix(kin + "'s ") else { return nil }
        for clause in lowered.split(whereSeparator: { ".,;!?\n".contains($0) }).map({ " " + $0 + " " }) {
            let owned = ["my ", "our "].contains { TermMatcher.matches($0 + kin, in: clause) } || clause.hasPrefix(" " + kin + "'s ")
                || clause.hasPrefix(" " + kin + " is ") || clause.hasPrefix(" " + kin + " was ")
            if owned && signs.contains(where: { TermMatcher.matches($0, in: clause) }) { return "your " + kin }
        }
        return nil
    }

    /// Whole words, as the situation rules match: "won" is not in "won't", "home" not in
    /// "from home", "test" not in "latest".
    private static let celebrations: [(terms: TermSet, english: String, chinese: String)] = [
        // Before the job: a paper is 录用 (accepted) too.
        (TermSet(["论文", "paper was accepted", "paper got accepted", "paper accepted", "paper was published", "paper got published"]), "getting published", "论文发表"),
        (TermSet(["job", "new job", "offer", "hired", "入职", "录用", "offer", "签约"]), "the new job", "拿到新工作"),
        (TermSet(["promot*", "升职", "转正"]), "the promotion", "更上一层楼"),
        (TermSet(["raise", "加薪", "涨薪", "涨工资"]), "the raise", "加薪"),
        (TermSet(["exam*", "passed", "test", "上岸", "考上", "考过", "录取", "雅思", "托福", "没挂"]), "passing", "考试顺利"),
        (TermSet(["graduat*", "degree", "diploma", "毕业", "答辩"]), "graduating", "顺利毕业"),
        // Before the wedding: "结婚十周年" is an anniversary, and "五周年，虽然还不能结婚" no wedding.
        (TermSet(["anniversary", "周年"]), "the anniversary", "周年纪念"),
        (TermSet(["engaged", "married", "wedding", "proposed", "结婚", "订婚", "领证", "求婚", "新婚"]), "the wonderful news", "喜结良缘"),
        (TermSet(["first words", "first word", "said mama", "said dada", "会叫妈妈", "会叫爸爸", "叫妈妈了", "叫爸爸了", "第一声", "第一次叫我", "叫我爸爸", "叫我妈妈"]), "the first words", "宝宝开口叫人"),
        (TermSet(["baby", "grandbaby", "born", "birth", "pregnan*", "twins", "expecting our first", "we're expecting", "we are expecting", "became an aunt", "became an uncle", "宝宝", "出生", "怀孕", "生了", "胎心",
                  "当舅舅", "当阿姨", "当爸爸了", "当妈妈了", "当爸了", "当妈了"]), "the little one", "迎来小宝贝"),
        (TermSet(["house", "new home", "first home", "own home", "keys", "apartment", "买房", "新家", "乔迁", "钥匙"]), "the new home", "乔迁新居"),
        (TermSet(["publish*", "novel", "book deal", "paper", "发表", "接收"]), "getting published", "论文发表"),
        (TermSet(["shipped", "launched", "released", "上线", "发布"]), "the launch", "顺利上线"),
        (TermSet(["marathon", "race", "personal best", "完赛", "跑完"]), "the race", "完赛"),
        (TermSet(["sober", "戒酒", "戒烟"]), "the milestone", "达成这个里程碑"),
        (TermSet(["won", "winner", "champion*", "first place", "medal", "冠军", "一等奖", "获奖", "得奖", "赢"]), "the win", "获奖"),
        (TermSet(["license", "licence", "驾照"]), "the licence", "拿到驾照"),
        (TermSet(["finally beat", "beat the game", "final boss", "platinum", "通关"]), "the win", "通关"),
        (TermSet(["puppy", "kitten", "adopted", "领养", "收养"]), "the new family member", "迎来新成员"),
        (TermSet(["scholarship", "奖学金"]), "the scholarship", "拿到奖学金"),
        (TermSet(["green card", "绿卡"]), "the green card", "拿到绿卡"),
        (TermSet(["visa", "签证"]), "the visa", "签证下来"),
        (TermSet(["citizenship", "citizen", "入籍"]), "the citizenship", "入籍"),
    ]

    static func celebration(in text: String, language: TextScript.Language) -> String? {
        for entry in celebrations where entry.terms.firstMatch(in: text) != nil {
            return language == .english ? entry.english : entry.chinese
        }
        return nil
    }
}
