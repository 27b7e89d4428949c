// RFC 4826 resource lists as the URI list of an INVITE to the conference factory (RFC 5366,
// OMA IM 7.1.1.6 step 3), with RFC 5364 copyControl attributes.
import { parseResourceLists, serializeResourceLists } from '../../../src/xml';
import { fixture, xmlErrorOf } from './helpers';

const RL = 'urn:ietf:params:xml:ns:resource-lists';
const list = (body: string): string => `<resource-lists xmlns="${RL}" xmlns:cp="urn:ietf:params:xml:ns:copycontrol"><list>${body}</list></resource-lists>`;

test('RFC 5366 section 4: the example URI list, with copyControl and anonymize', () => {
  const entries = parseResourceLists(fixture('rfc5366-uri-list.xml'));
  expect(entries.map((e) => e.uri)).toEqual([
    'sip:bill@example.com',
    'sip:randy@example.net',
    'sip:eddy@example.com',
    'sip:joe@example.org',
    'sip:carol@example.net',
    'sip:ted@example.net',
    'sip:andy@example.com',
  ]);
  expect(entries[1]).toEqual({ uri: 'sip:randy@example.net', copyControl: 'to', anonymize: true });
  expect(entries[5]).toEqual({ uri: 'sip:ted@example.net', copyControl: 'bcc' });
});

test('RFC 4826 section 3.4: nested lists are flattened; a URI listed twice is one invitee', () => {
  const entries = parseResourceLists(list('<entry uri="sip:a@x"/><list name="more"><entry uri="sip:b@x"/><entry uri="sip:a@x"/></list>'));
  expect(entries.map((e) => e.uri)).toEqual(['sip:a@x', 'sip:b@x']);
});

test('RFC 4826 section 3.4.1: display names are read', () => {
  expect(parseResourceLists(list('<entry uri="sip:a@x"><display-name> Ann </display-name></entry>'))).toEqual([{ uri: 'sip:a@x', displayName: 'Ann' }]);
});

test('elements of other namespaces are extensions and skipped', () => {
  expect(parseResourceLists(list('<x:note xmlns:x="urn:x">hi</x:note><entry uri="sip:a@x"/>'))).toEqual([{ uri: 'sip:a@x' }]);
});

describe('errors name the element', () => {
  test.each([
    ['<entry/>', 'list/entry: missing uri attribute'],
    ['<entry uri="http://x"/>', 'list/entry: uri: not a sip:, sips: or tel: URI: "http://x"'],
    ['<entry uri="sip:a@x" cp:copyControl="from"/>', 'list/entry: copyControl must be to, cc or bcc, not "from"'],
    ['<entry uri="sip:a@x" cp:anonymize="yes"/>', 'list/entry: anonymize must be a boolean, not "yes"'],
    ['<entry-ref ref="users/a"/>', 'list/entry-ref: <entry-ref> is not supported in a URI list: list each invitee as <entry uri>'],
    ['<external anchor="http://xcap/x"/>', 'list/external: <external> is not supported in a URI list: list each invitee as <entry uri>'],
  ])('%s', (body, message) => {
    expect(xmlErrorOf(() => parseResourceLists(list(body))).message).toBe(message);
  });

  test('a copyControl attribute in no namespace is not RFC 5364 and is ignored', () => {
    expect(parseResourceLists(list('<entry uri="sip:a@x" copyControl="from"/>'))).toEqual([{ uri: 'sip:a@x' }]);
  });

  test('the root must be <resource-lists> in the RFC 4826 namespace', () => {
    expect(xmlErrorOf(() => parseResourceLists('<resource-lists/>')).code).toBe('XML_INVALID');
  });

  test('a DOCTYPE is refused', () => {
    expect(xmlErrorOf(() => parseResourceLists(`<!DOCTYPE r [<!ENTITY e "x">]>${list('')}`)).code).toBe('XML_FORBIDDEN');
  });
});

test('OMA IM 7.1.1.6 step 3: a built URI list reads back as written', () => {
  const entries = [
    { uri: 'sip:bob@example.com' },
    { uri: 'sip:carol@example.com', displayName: 'Carol & co', copyControl: 'cc' as const, anonymize: false },
  ];
  const text = serializeResourceLists(entries);
  expect(text).toContain(`<resource-lists xmlns="${RL}" xmlns:cp="urn:ietf:params:xml:ns:copycontrol">`);
  expect(parseResourceLists(text)).toEqual(entries);
  expect(serializeResourceLists([{ uri: 'sip:a@x' }])).not.toContain('copycontrol');
});
