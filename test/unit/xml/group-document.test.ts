// OMA shared group document (DESIGN "Fixed points": <group> in urn:oma:xml:xdm:group, one
// <list-service>, common-policy ruleset, release-policy overrides of OMA IM 7.2.2.8).
import fc from 'fast-check';
import { parseGroupDocument, serializeGroupDocument, XmlError, type GroupDocument, type PolicyRule } from '../../../src/xml';
import { fixture, group, xmlErrorOf } from './helpers';

describe('reading the fixtures', () => {
  test('a realistic group: members, invite-members, max-participant-count, ruleset, release overrides', () => {
    const ignored: string[] = [];
    const doc = parseGroupDocument(fixture('group-sales-team.xml'), { ignored });
    expect(doc.uri).toBe('sip:sales-team@branch.example.com');
    expect(doc.displayName).toBe('Sales team & guests');
    expect(doc.entries.map((e) => e.uri)).toEqual([
      'sip:alice@branch.example.com',
      'sip:bob@branch.example.com',
      'sip:carol@branch.example.com',
      'sip:dave@branch.example.com',
      'tel:+15551234567',
    ]);
    expect(doc.entries[0]).toEqual({ uri: 'sip:alice@branch.example.com', displayName: 'Alice' });
    expect(doc.inviteMembers).toBe(true);
    expect(doc.maxParticipantCount).toBe(4);
    expect(doc.rules.map((r) => r.id)).toEqual(['members', 'supervisor', 'hq-blocked-except-boss', 'office-hours']);
    expect(doc.rules[0]).toEqual({
      id: 'members',
      conditions: [{ kind: 'is-list-member' }],
      actions: { allowConferenceState: true, allowInitiateConference: true, allowAnonymity: false, joinHandling: 'allow' },
    });
    expect(doc.rules[1]!.conditions).toEqual([{ kind: 'identity', one: ['sip:boss@hq.example.com'], many: [] }]);
    expect(doc.rules[2]!.conditions).toEqual([
      { kind: 'identity', one: [], many: [{ domain: 'hq.example.com', except: [{ id: 'sip:boss@hq.example.com' }] }] },
    ]);
    // RFC 4745 section 7: a condition imedge does not evaluate is kept and evaluates to FALSE.
    expect(doc.rules[3]!.conditions).toEqual([{ kind: 'unsupported', ns: 'urn:ietf:params:xml:ns:common-policy', name: 'validity' }]);
    expect(doc.release).toEqual({ autoRelease: false, sessionMaxLength: 7200, numberOfRemainingParticipants: 1 });
    expect(ignored).toEqual(['list-service/external-list-note']);
  });

  test('prefixes do not matter: the group namespace under g:, common policy as a default namespace, list in RFC 4826', () => {
    const doc = parseGroupDocument(fixture('group-prefixed.xml'));
    expect(doc).toEqual({
      uri: 'sip:night-shift@branch.example.com',
      displayName: 'Night shift',
      entries: [{ uri: 'sip:erin@branch.example.com' }, { uri: 'sip:frank@branch.example.com' }],
      inviteMembers: false,
      rules: [{ id: 'all', conditions: [{ kind: 'is-list-member' }], actions: { joinHandling: 'allow', allowInitiateConference: true } }],
      release: {},
    });
  });

  test('an element in the group namespace under a foreign prefix name is still found; a same-named one in another namespace is not', () => {
    const xml = group('<x:max-participant-count xmlns:x="urn:oma:xml:xdm:group">7</x:max-participant-count><y:invite-members xmlns:y="urn:other">true</y:invite-members>');
    const doc = parseGroupDocument(xml);
    expect(doc.maxParticipantCount).toBe(7);
    expect(doc.inviteMembers).toBeUndefined();
  });
});

describe('errors name the element and the path', () => {
  test.each([
    ['<max-participant-count>ten</max-participant-count>', 'list-service/max-participant-count: not an integer: "ten"'],
    ['<max-participant-count>0</max-participant-count>', 'list-service/max-participant-count: 0 is out of range 1..100000'],
    ['<max-participant-count>-3</max-participant-count>', 'list-service/max-participant-count: not an integer: "-3"'],
    ['<invite-members>yes</invite-members>', 'list-service/invite-members: not a boolean (true/false): "yes"'],
    ['<session-max-length>1.5</session-max-length>', 'list-service/session-max-length: not an integer: "1.5"'],
    ['<number-of-remaining-participants>2</number-of-remaining-participants>', 'list-service/number-of-remaining-participants: 2 is out of range 0..1'],
    ['<auto-release/>', 'list-service/auto-release: not a boolean (true/false): ""'],
    ['<list><entry/></list>', 'list-service/list/entry: missing uri attribute'],
    ['<list><entry uri="mailto:a@b"/></list>', 'list-service/list/entry: uri: not a sip:, sips: or tel: URI: "mailto:a@b"'],
    ['<list><entry uri="sip:a@b"/><entry uri="sip:a@b"/></list>', 'list-service/list/entry[2]: duplicate entry sip:a@b'],
    ['<list><entry-ref ref="x"/></list>', 'list-service/list/entry-ref: <entry-ref> is not supported: list the members as <entry uri>'],
    ['<max-participant-count>3</max-participant-count><max-participant-count>4</max-participant-count>', 'list-service/max-participant-count[2]: more than one <max-participant-count>'],
    ['<cr:ruleset><cr:rule><cr:actions/></cr:rule></cr:ruleset>', 'list-service/ruleset/rule: missing id attribute'],
    ['<cr:ruleset><cr:rule id="a"/><cr:rule id="a"/></cr:ruleset>', 'list-service/ruleset/rule[2]: duplicate rule id "a"'],
    [
      '<cr:ruleset><cr:rule id="a"><cr:actions><join-handling>maybe</join-handling></cr:actions></cr:rule></cr:ruleset>',
      'list-service/ruleset/rule/actions/join-handling: must be allow or block, not "maybe"',
    ],
    [
      '<cr:ruleset><cr:rule id="a"><cr:conditions><cr:identity><cr:one/></cr:identity></cr:conditions></cr:rule></cr:ruleset>',
      'list-service/ruleset/rule/conditions/identity/one: missing id attribute',
    ],
    [
      '<cr:ruleset><cr:rule id="a"><cr:conditions><cr:identity><cr:many><cr:except/></cr:many></cr:identity></cr:conditions></cr:rule></cr:ruleset>',
      'list-service/ruleset/rule/conditions/identity/many/except: needs exactly one of the id and domain attributes',
    ],
  ])('%s', (body, message) => {
    const e = xmlErrorOf(() => parseGroupDocument(group(body)));
    expect(e.code).toBe('XML_INVALID');
    expect(e.message).toBe(message);
  });

  test('the root must be <group> in the group namespace, holding exactly one <list-service>', () => {
    expect(xmlErrorOf(() => parseGroupDocument('<group/>')).message).toBe('root element must be <group> in namespace urn:oma:xml:xdm:group, not <group>');
    expect(xmlErrorOf(() => parseGroupDocument('<group xmlns="urn:oma:xml:xdm:group"/>')).message).toBe('<group> must hold exactly one <list-service>, found 0');
    const two = '<group xmlns="urn:oma:xml:xdm:group"><list-service uri="sip:a@b"/><list-service uri="sip:c@d"/></group>';
    expect(xmlErrorOf(() => parseGroupDocument(two)).message).toBe('<group> must hold exactly one <list-service>, found 2');
  });

  test('the list-service uri is required and checked', () => {
    expect(xmlErrorOf(() => parseGroupDocument(group('', 'not a uri'))).message).toBe('list-service: uri: not a URI: "not a uri"');
  });

  test('a DOCTYPE is refused before anything else', () => {
    expect(xmlErrorOf(() => parseGroupDocument(fixture('billion-laughs.xml'))).code).toBe('XML_FORBIDDEN');
  });

  test('no ruleset reads as no rules; an empty <cr:conditions> as a rule that always matches', () => {
    expect(parseGroupDocument(group('')).rules).toEqual([]);
    const doc = parseGroupDocument(group('<cr:ruleset><cr:rule id="any"><cr:conditions/><cr:actions><join-handling>allow</join-handling></cr:actions></cr:rule></cr:ruleset>'));
    expect(doc.rules).toEqual([{ id: 'any', conditions: [], actions: { joinHandling: 'allow' } }]);
  });
});

describe('round trip: serialize then parse gives the same document', () => {
  test('the fixtures', () => {
    for (const name of ['group-sales-team.xml', 'group-prefixed.xml']) {
      const doc = parseGroupDocument(fixture(name));
      const again = parseGroupDocument(serializeGroupDocument(doc));
      expect(again).toEqual(doc);
    }
  });

  test('the serialized text has the fixed shape: default group namespace, cr: prefix', () => {
    const text = serializeGroupDocument(parseGroupDocument(fixture('group-prefixed.xml')));
    expect(text).toContain('<group xmlns="urn:oma:xml:xdm:group" xmlns:cr="urn:ietf:params:xml:ns:common-policy">');
    expect(text).toContain('<list-service uri="sip:night-shift@branch.example.com">');
    expect(text).toContain('<cr:rule id="all">');
  });

  test('an unsupported condition survives the round trip and still never matches', () => {
    const xml = group(
      '<cr:ruleset><cr:rule id="r"><cr:conditions><x:geo xmlns:x="urn:ext"/><plain xmlns=""/><cr:sphere value="work"/></cr:conditions></cr:rule></cr:ruleset>',
    );
    const doc = parseGroupDocument(xml);
    expect(doc.rules[0]!.conditions).toEqual([
      { kind: 'unsupported', ns: 'urn:ext', name: 'geo' },
      { kind: 'unsupported', ns: '', name: 'plain' },
      { kind: 'unsupported', ns: 'urn:ietf:params:xml:ns:common-policy', name: 'sphere' },
    ]);
    expect(parseGroupDocument(serializeGroupDocument(doc))).toEqual(doc);
  });

  test('property: any well-typed document', () => {
    const label = fc.string({ minLength: 1, maxLength: 20 }).map((s) => s.trim()).filter((s) => s.length > 0 && !/[\u0000-\u001f\ud800-\udfff\ufffe\uffff]/.test(s));
    const user = fc.stringMatching(/^[a-z0-9._-]{1,12}$/);
    const uri = user.map((u) => `sip:${u}@example.com`);
    const actions = fc.record(
      {
        joinHandling: fc.constantFrom('allow' as const, 'block' as const),
        allowAnonymity: fc.boolean(),
        allowInitiateConference: fc.boolean(),
        allowConferenceState: fc.boolean(),
      },
      { requiredKeys: [] },
    );
    const condition = fc.oneof(
      fc.constant({ kind: 'is-list-member' as const }),
      fc.record({
        kind: fc.constant('identity' as const),
        one: fc.array(uri, { maxLength: 3 }),
        many: fc.array(
          fc.record({ domain: fc.constantFrom('example.com', 'hq.example.com'), except: fc.array(fc.oneof(uri.map((id) => ({ id })), fc.constant({ domain: 'x.example.com' })), { maxLength: 2 }) }, { requiredKeys: ['except'] }),
          { maxLength: 2 },
        ),
      }),
      fc.constant({ kind: 'unsupported' as const, ns: 'urn:ietf:params:xml:ns:common-policy', name: 'validity' }),
    );
    const rules = fc.uniqueArray(fc.record({ id: user, conditions: fc.array(condition, { maxLength: 3 }), actions }), { selector: (r) => r.id, maxLength: 4 });
    const doc = fc.record(
      {
        uri,
        displayName: label,
        entries: fc.uniqueArray(fc.record({ uri, displayName: label }, { requiredKeys: ['uri'] }), { selector: (e) => e.uri, maxLength: 6 }),
        inviteMembers: fc.boolean(),
        maxParticipantCount: fc.integer({ min: 1, max: 1000 }),
        rules: rules as fc.Arbitrary<PolicyRule[]>,
        release: fc.record(
          { autoRelease: fc.boolean(), sessionMaxLength: fc.integer({ min: 0, max: 86400 }), numberOfRemainingParticipants: fc.constantFrom(0 as const, 1 as const) },
          { requiredKeys: [] },
        ),
      },
      { requiredKeys: ['uri', 'entries', 'rules', 'release'] },
    );
    fc.assert(
      fc.property(doc, (d) => {
        const back = parseGroupDocument(serializeGroupDocument(d as GroupDocument));
        expect(back).toEqual(d);
      }),
      { numRuns: 300 },
    );
  });

  test('serializing a document with a bad uri is an XmlError, not a broken file', () => {
    expect(() => serializeGroupDocument({ uri: 'nope', entries: [], rules: [], release: {} })).toThrow(XmlError);
  });
});
