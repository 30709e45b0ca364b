/// The groups of `situations/rules.yaml` that the reader and the planner ask for by name, beside
/// those the file's own rules name. A rules file must define every one: without one the reader
/// would silently read less (no pet poisonings, no danger now), so `SituationRules.parse` refuses
/// such a file and names the group, and bots stay silent until it is mended.
public enum ReaderGroup: String, CaseIterable, Sendable {
    // What a whole text is about, beside its situations (`SituationReader.read`).
    case tender, guarded, laughter, plant, kin, pet
    case hurtAtHome = "hurt_at_home"
    case selfAct = "self_act"
    case exPartner = "ex_partner"
    case recovery, relapse, urgent
    case emergencySign = "emergency_sign"
    case chestTight = "chest_tight"
    case armOrJaw = "arm_or_jaw"
    case aboutSigns = "about_signs"
    // Safety and crisis flags: what a reply must say when the situation calls for it.
    case petAte = "pet_ate"
    case petAsk = "pet_ask"
    case petPoison = "pet_poison"
    case petAnimal = "pet_animal"
    case poison, also
    case personAte = "person_ate"
    case swallowedPoison = "swallowed_poison"
    case toxicMix = "toxic_mix"
    case fumeSign = "fume_sign"
    case coRisk = "co_risk"
    case notEating = "not_eating"
    case imminent, method
    case overdoseTaken = "overdose_taken"
    case reachedOut = "reached_out"
    case reachFailed = "reach_failed"
    case selfBlame = "self_blame"
    case copingAsk = "coping_ask"
    // What the planner decides silence or a question by (`TurnPlanner.decide`).
    case unsafeRequest = "unsafe_request"
    case identity
    case insultAtYou = "insult_at_you"
    case otherBot = "other_bot"
    case minimizing
}
