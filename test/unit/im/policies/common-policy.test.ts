// RFC 4745 rule evaluation with the OMA group conditions, and the address comparison it uses.
import { addressKey, permissionsFor, sameAddress, type GroupView } from '../../../../src/im/policies';
import { ALICE, BOB, group, MALLORY } from './helpers';

describe('addresses', () => {
  test.each([
    ['sip:alice@example.com', 'sip:alice@EXAMPLE.COM'],
    ['sip:alice@example.com', 'sips:alice@example.com'],
    ['sip:alice@example.com', 'sip:alice@example.com:5060;transport=tcp'],
    ['sip:alice@example.com', '<sip:alice@example.com>'],
    ['sip:alice@example.com', 'sip:%61lice@example.com'],
    ['sip:alice@example.com', 'sip:alice:secret@example.com'],
    ['sip:alice@[2001:db8::1]', 'sip:alice@[2001:DB8::1]:5061'],
    ['tel:+1-555-123-4567', 'tel:+15551234567;phone-context=example.com'],
  ])('RFC 3261 19.1.4: %s is the same address as %s', (a, b) => {
    expect(sameAddress(a, b)).toBe(true);
  });

  test.each([
    ['sip:alice@example.com', 'sip:Alice@example.com'],
    ['sip:alice@example.com', 'sip:alice@example.org'],
    ['sip:alice@example.com', 'tel:+15551234567'],
    ['sip:a%40b@example.com', 'sip:a@b@example.com'],
  ])('%s is not %s', (a, b) => {
    expect(sameAddress(a, b)).toBe(false);
  });

  test('an unparsable address matches only itself', () => {
    expect(addressKey('  garbage ')).toBe('garbage');
  });
});

describe('RFC 4745 section 10: combining the matching rules', () => {
  const g = (rules: GroupView['rules']): GroupView => group({ rules });

  test('section 10.1: a rule with no conditions matches everyone', () => {
    expect(permissionsFor(g([{ id: 'all', conditions: [], actions: { joinHandling: 'allow' } }]), MALLORY).joinHandling).toBe('allow');
  });

  test('section 10.1: all conditions of a rule must hold', () => {
    const rules = g([{ id: 'r', conditions: [{ kind: 'is-list-member' }, { kind: 'identity', one: [BOB], many: [] }], actions: { joinHandling: 'allow' } }]);
    expect(permissionsFor(rules, ALICE).joinHandling).toBe('block');
    expect(permissionsFor(rules, BOB).joinHandling).toBe('allow');
  });

  test('section 7: a condition not understood evaluates to FALSE', () => {
    const rules = g([{ id: 'r', conditions: [{ kind: 'unsupported', ns: 'urn:ietf:params:xml:ns:common-policy', name: 'validity' }], actions: { joinHandling: 'allow' } }]);
    expect(permissionsFor(rules, ALICE)).toMatchObject({ joinHandling: 'block', matchedRules: [] });
  });

  test('section 10.2: the most permissive value of each action wins across matching rules', () => {
    const rules = g([
      { id: 'a', conditions: [{ kind: 'is-list-member' }], actions: { joinHandling: 'block', allowAnonymity: false } },
      { id: 'b', conditions: [], actions: { joinHandling: 'allow', allowConferenceState: true } },
      { id: 'c', conditions: [{ kind: 'identity', one: [ALICE], many: [] }], actions: { allowAnonymity: true } },
    ]);
    expect(permissionsFor(rules, ALICE)).toEqual({
      joinHandling: 'allow',
      allowAnonymity: true,
      allowInitiateConference: false,
      allowConferenceState: true,
      matchedRules: ['a', 'b', 'c'],
    });
  });

  test('RFC 4745 7.1.3: <many domain> with <except>', () => {
    const rules = g([
      { id: 'd', conditions: [{ kind: 'identity', one: [], many: [{ domain: 'Elsewhere.example.net', except: [{ id: 'sip:eve@elsewhere.example.net' }] }] }], actions: { joinHandling: 'allow' } },
    ]);
    expect(permissionsFor(rules, MALLORY).joinHandling).toBe('allow');
    expect(permissionsFor(rules, 'sip:eve@elsewhere.example.net').joinHandling).toBe('block');
    expect(permissionsFor(rules, ALICE).joinHandling).toBe('block');
  });

  test('RFC 4745 7.1.3: <many> without a domain is any identity, minus excepted domains', () => {
    const rules = g([{ id: 'any', conditions: [{ kind: 'identity', one: [], many: [{ except: [{ domain: 'example.com' }] }] }], actions: { joinHandling: 'allow' } }]);
    expect(permissionsFor(rules, MALLORY).joinHandling).toBe('allow');
    expect(permissionsFor(rules, ALICE).joinHandling).toBe('block');
    expect(permissionsFor(rules, 'tel:+15551234567').joinHandling).toBe('allow');
  });
});
