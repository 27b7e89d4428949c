import { nodeArgsOf } from '../../../scripts/bench/imedge-server';

describe('bench server node flags', () => {
  it("takes the node flags of npm start's command, and nothing after the script", () => {
    expect(nodeArgsOf('node --max-semi-space-size=1 dist/src/cli/main.js serve --sip-port 0')).toEqual(['--max-semi-space-size=1']);
    expect(nodeArgsOf('node dist/src/cli/main.js serve')).toEqual([]);
    expect(nodeArgsOf('tsc && node x.js')).toEqual([]);
  });
});
