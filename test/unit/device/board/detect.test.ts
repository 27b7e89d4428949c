import { profileForModel } from '../../../../src/device/board/detect';

test.each([
  ['Raspberry Pi Zero 2 W Rev 1.0', 'rpi-zero2w'],
  ['Raspberry Pi 4 Model B Rev 1.5', 'rpi4'],
  ['Raspberry Pi Compute Module 4 Rev 1.0', 'rpi4'],
  ['Raspberry Pi 5 Model B Rev 1.0', 'rpi5'],
  [null, 'bench-x86'],
  ['Acme Router 3000', null],
])('device-tree model %j -> profile %j', (model, profile) => {
  expect(profileForModel(model).profile).toBe(profile);
});
