// The safe XML reader under every document codec: caps, no DOCTYPE/entities, well-formedness,
// namespaces resolved by URI, errors always XmlError.
import fc from 'fast-check';
import { parseXml, qualifiedAttr, serializeXml, XML_NS, XmlError } from '../../../src/xml';
import { fixture, xmlErrorOf } from './helpers';

describe('limits and forbidden constructs', () => {
  test('a body over the size cap is refused before parsing', () => {
    const e = xmlErrorOf(() => parseXml(`<a>${'x'.repeat(2000)}</a>`, { maxBytes: 1024, maxDepth: 8, maxElements: 10 }));
    expect(e.code).toBe('XML_TOO_LARGE');
    expect(e.message).toMatch(/exceeds the 1024-byte limit/);
  });

  test('the size cap counts UTF-8 bytes, not characters', () => {
    expect(xmlErrorOf(() => parseXml(`<a>${'é'.repeat(600)}</a>`, { maxBytes: 1024, maxDepth: 8, maxElements: 10 })).code).toBe('XML_TOO_LARGE');
  });

  test('a DOCTYPE (billion laughs) is refused', () => {
    const e = xmlErrorOf(() => parseXml(fixture('billion-laughs.xml')));
    expect(e.code).toBe('XML_FORBIDDEN');
  });

  test('an entity other than the five predefined ones is refused, even undeclared', () => {
    const e = xmlErrorOf(() => parseXml('<a>&nbsp;</a>'));
    expect(e).toMatchObject({ code: 'XML_FORBIDDEN' });
    expect(e.reason).toMatch(/&nbsp;/);
  });

  test('predefined entities and character references are decoded in text and attributes', () => {
    const el = parseXml('<a b="x&amp;y&#65;&#x42;&quot;">&lt;&gt;&amp;&apos;&quot;&#233;<![CDATA[&amp;<raw>]]></a>');
    expect(el.attrs.get('b')).toBe('x&yAB"');
    expect(el.text).toBe(`<>&'"é&amp;<raw>`);
  });

  test('a character reference to a non-character is refused', () => {
    expect(xmlErrorOf(() => parseXml('<a>&#0;</a>')).code).toBe('XML_MALFORMED');
    expect(xmlErrorOf(() => parseXml('<a>&#xD800;</a>')).code).toBe('XML_MALFORMED');
  });

  test('nesting deeper than the limit is refused', () => {
    const deep = '<a>'.repeat(40) + '</a>'.repeat(40);
    expect(xmlErrorOf(() => parseXml(deep)).code).toBe('XML_TOO_LARGE');
  });

  test('more elements than the limit is refused', () => {
    const wide = `<a>${'<b/>'.repeat(20)}</a>`;
    expect(xmlErrorOf(() => parseXml(wide, { maxBytes: 4096, maxDepth: 8, maxElements: 10 })).reason).toBe('more than 10 elements');
  });

  test('bytes that are not UTF-8 are refused', () => {
    expect(xmlErrorOf(() => parseXml(Buffer.from([0x3c, 0x61, 0x3e, 0xff, 0x3c, 0x2f, 0x61, 0x3e]))).code).toBe('XML_ENCODING');
  });

  test('a UTF-8 BOM is accepted', () => {
    expect(parseXml(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('<a/>')])).name).toBe('a');
  });
});

describe('well-formedness (checked by the validator, not by the lenient parser)', () => {
  test.each([
    ['mismatched tags', '<a><b></a>'],
    ['two roots', '<a/><b/>'],
    ['text after the root', '<a/>junk'],
    ['an empty document', ''],
    ['a repeated attribute', '<a x="1" x="2"/>'],
    ['an attribute without value', '<a x/>'],
    ['a bare ampersand', '<a>fish & chips</a>'],
  ])('%s is XML_MALFORMED', (_what, xml) => {
    expect(xmlErrorOf(() => parseXml(xml)).code).toBe('XML_MALFORMED');
  });

  test('the validator message carries line and column', () => {
    expect(xmlErrorOf(() => parseXml('<a>\n<b></a>')).reason).toMatch(/^not well-formed \(line 2, column \d+\)/);
  });

  test('a JavaScript-reserved element name is refused as an error, not a crash', () => {
    expect(xmlErrorOf(() => parseXml('<__proto__/>')).code).toBe('XML_MALFORMED');
  });
});

describe('Namespaces in XML 1.0: names are resolved by URI, not by prefix', () => {
  test('default namespace, prefixed namespace and undeclaring the default', () => {
    const el = parseXml('<x:a xmlns:x="urn:one" xmlns="urn:two"><b/><x:c/><d xmlns=""/></x:a>');
    expect([el.ns, el.name]).toEqual(['urn:one', 'a']);
    expect(el.children.map((c) => [c.ns, c.name])).toEqual([
      ['urn:two', 'b'],
      ['urn:one', 'c'],
      ['', 'd'],
    ]);
  });

  test('prefixed attributes are keyed by namespace; xml: is predeclared', () => {
    const el = parseXml('<a xmlns:p="urn:p" p:k="1" k="2" xml:lang="en"/>');
    expect(el.attrs.get(qualifiedAttr('urn:p', 'k'))).toBe('1');
    expect(el.attrs.get('k')).toBe('2');
    expect(el.attrs.get(qualifiedAttr(XML_NS, 'lang'))).toBe('en');
    expect(el.attrs.has('xmlns:p')).toBe(false);
  });

  test('two prefixes for one namespace give the same attribute twice: refused', () => {
    expect(xmlErrorOf(() => parseXml('<a xmlns:p="urn:p" xmlns:q="urn:p" p:k="1" q:k="2"/>')).code).toBe('XML_NAMESPACE');
  });

  test.each([
    ['an undeclared element prefix', '<p:a/>'],
    ['an undeclared attribute prefix', '<a p:x="1"/>'],
    ['two colons in a name', '<a:b:c xmlns:a="urn:a"/>'],
    ['undeclaring a prefix', '<a xmlns:p=""/>'],
    ['rebinding xml', '<a xmlns:xml="urn:other"/>'],
  ])('%s is XML_NAMESPACE', (_what, xml) => {
    expect(xmlErrorOf(() => parseXml(xml)).code).toBe('XML_NAMESPACE');
  });

  test('paths name same-named siblings by position', () => {
    const el = parseXml('<r><l><e/><e/></l><m/></r>');
    expect(el.children[0]!.children.map((c) => c.path)).toEqual(['l/e[1]', 'l/e[2]']);
    expect(el.children[1]!.path).toBe('m');
  });
});

describe('writer', () => {
  test('escapes text and attributes so the reader gets the same values back', () => {
    const nasty = 'a<b>&"\'\t\n\r c é 💬';
    const xml = serializeXml({ name: 'r', attrs: [['v', nasty]], children: [{ name: 't', text: nasty }] });
    const el = parseXml(xml);
    expect(el.attrs.get('v')).toBe(nasty);
    expect(el.children[0]!.text).toBe(nasty);
  });
});

describe('property: garbage never throws anything but XmlError', () => {
  const xmlish = fc.array(
    fc.oneof(
      fc.constantFrom('<', '>', '/', '=', '"', "'", '&', ';', ':', '!', '?', '[', ']', '-', ' ', '\n', 'a', 'b', 'xmlns', 'xmlns:p', 'p:', '&amp;', '&#', 'CDATA', '<!--', '-->', '<![CDATA[', ']]>', '<?xml', '?>', '__proto__', 'constructor'),
      fc.string({ maxLength: 4 }),
    ),
    { maxLength: 40 },
  );
  test('random XML-ish strings', () => {
    fc.assert(
      fc.property(xmlish, (parts) => {
        try {
          parseXml(parts.join(''));
        } catch (err) {
          if (!(err instanceof XmlError)) throw err;
        }
      }),
      { numRuns: 2000 },
    );
  });

  test('random bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
        try {
          parseXml(bytes);
        } catch (err) {
          if (!(err instanceof XmlError)) throw err;
        }
      }),
      { numRuns: 1000 },
    );
  });
});
