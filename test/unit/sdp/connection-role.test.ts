import { answererRole, offererConnects } from '../../../src/sdp';

describe('RFC 6135 section 4 / RFC 4975 section 5.4: who connects', () => {
  test.each([
    ['actpass', 'passive', 'peer'],
    ['active', 'passive', 'peer'],
    ['passive', 'active', 'we'],
    ['holdconn', 'holdconn', 'none'],
    [undefined, undefined, 'peer'],
  ] as const)('imedge answers an offer of a=setup:%s with %s; connects: %s', (offered, attribute, connects) => {
    expect(answererRole(offered)).toEqual({ attribute, connects });
  });

  test('RFC 4145 4.1: to actpass imedge may choose active', () => {
    expect(answererRole('actpass', 'active')).toEqual({ attribute: 'active', connects: 'we' });
  });

  test.each([
    ['active', 'peer'],
    ['passive', 'we'],
    [undefined, 'we'],
    ['holdconn', 'none'],
    ['actpass', 'we'],
  ] as const)('imedge offered actpass, the answer says %s: connects %s', (answered, connects) => {
    expect(offererConnects(answered)).toBe(connects);
  });
});
