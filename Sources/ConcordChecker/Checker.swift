/// The `Checker` namespace of Concord: limits and conventions shared by the
/// consistency checkers. See docs/checker.md.
///
/// The checkers themselves are free functions of this module
/// (``checkLinearizability(_:model:budget:)``,
/// ``checkSessionGuarantees(_:)``, ``checkSequentialConsistency(_:model:budget:)``)
/// so that call sites read like the property they decide.
public enum Checker {}
