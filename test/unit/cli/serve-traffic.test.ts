// serve() ends the V8 start-up settings at the first traffic, not at listening (issue 14 item 4).
import { whenTraffic } from '../../../src/cli/serve';

describe('whenTraffic', () => {
  afterEach(() => jest.useRealTimers());

  it('calls back once, at the first poll after SIP requests or MSRP frames came in', () => {
    jest.useFakeTimers();
    let traffic = 7; // counted before the watch started: not new traffic
    const fn = jest.fn();
    whenTraffic({ traffic: () => traffic }, fn, 100);
    jest.advanceTimersByTime(1000);
    expect(fn).not.toHaveBeenCalled();
    traffic = 8;
    jest.advanceTimersByTime(100);
    expect(fn).toHaveBeenCalledTimes(1);
    traffic = 20;
    jest.advanceTimersByTime(1000);
    expect(fn).toHaveBeenCalledTimes(1);
  });
});
