export * from './errors.js';
export type * from './model.js';
export { parsePack, checkPackSet, refMatcher } from './load.js';
export { classify, matchPattern, citeLine, describeItem } from './classify.js';
export type { Classification, ClassifyContext, Finding, NotModelledFinding, Outcome, ResolvedCitation } from './classify.js';
export { inWindow, windowsOverlap, formatWindow } from './dates.js';
export { evaluatePolicies } from './policy.js';
export { LIST_EFFECTS } from './schema.js';
export type { PolicyEvaluation, PolicyFacts, PolicyFinding, PolicyListing, PolicyParty } from './policy.js';
