// The label selectors the memory client understands: comma-joined (AND) requirements of the
// forms `key`, `!key`, `key=value`, `key==value` and `key!=value`. Set-based ones (`in`,
// `notin`) throw, so a test that needs them fails loudly instead of matching wrongly.

export type LabelMatcher = (labels: Record<string, string> | undefined) => boolean;

export function parseLabelSelector(selector: string | undefined): LabelMatcher {
  const requirements = (selector ?? '').split(',').map((part) => part.trim()).filter((part) => part !== '');
  const tests = requirements.map(parseRequirement);
  return (labels) => tests.every((test) => test(labels ?? {}));
}

function parseRequirement(requirement: string): (labels: Record<string, string>) => boolean {
  if (/\s(in|notin)\s*\(/.test(requirement)) throw new Error(`label selector "${requirement}": set-based requirements are not modelled`);
  const notEqual = requirement.indexOf('!=');
  if (notEqual > 0) {
    const key = requirement.slice(0, notEqual).trim();
    const value = requirement.slice(notEqual + 2).trim();
    return (labels) => labels[key] !== value;
  }
  const equal = requirement.indexOf('=');
  if (equal > 0) {
    const key = requirement.slice(0, equal).trim();
    const value = requirement.slice(requirement.startsWith('==', equal) ? equal + 2 : equal + 1).trim();
    return (labels) => labels[key] === value;
  }
  if (requirement.startsWith('!')) {
    const key = requirement.slice(1).trim();
    return (labels) => !(key in labels);
  }
  return (labels) => requirement in labels;
}
