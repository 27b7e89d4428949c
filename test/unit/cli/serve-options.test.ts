// `imedge serve` with well-formed options starts without commander (issue 14 item 4); anything
// else goes to commander, which answers help, typos and missing values as it always did.
import { serveOptions } from '../../../src/cli/serve-options';

describe('serveOptions', () => {
  it("gives serve's options under commander's names", () => {
    expect(serveOptions(['serve', '--sip-port', '0', '--data-dir=/tmp/d', '--config', 'c.yaml', '--tls-key', 'k.pem'])).toEqual({
      sipPort: '0',
      dataDir: '/tmp/d',
      config: 'c.yaml',
      tlsKey: 'k.pem',
    });
    expect(serveOptions(['serve'])).toEqual({});
  });

  it('leaves help, unknown options, missing values, extra arguments and other commands to commander', () => {
    for (const args of [['serve', '--help'], ['serve', '-h'], ['serve', '--sip-prt', '1'], ['serve', '--sip-port'], ['serve', 'extra'], ['user', 'list'], []]) {
      expect(serveOptions(args)).toBeUndefined();
    }
  });
});
