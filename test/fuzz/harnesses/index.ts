// Every fuzz harness, one per parser or decoder that takes network or file input.
import type { Harness } from '../runner';
import { conferenceInfoHarness } from './conference-info';
import { configHarness } from './config';
import { cpimHarness } from './cpim';
import { factoryBodyHarness } from './factory-body';
import { groupDocumentHarness } from './group-document';
import { msrpHarness } from './msrp';
import { multipartHarness } from './multipart';
import { replacesHarness } from './replaces';
import { resourceListsHarness } from './resource-lists';
import { sdpHarness } from './sdp';
import { sipHarness } from './sip';

export const HARNESSES: readonly Harness[] = [
  sipHarness,
  msrpHarness,
  sdpHarness,
  multipartHarness,
  resourceListsHarness,
  groupDocumentHarness,
  conferenceInfoHarness,
  cpimHarness,
  replacesHarness,
  factoryBodyHarness,
  configHarness,
];
