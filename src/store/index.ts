/** Public surface of the store; the rest of imedge imports from here, never from better-sqlite3. */
export { openStore, DEFAULT_FILE_NAME, type Store, type StoreOptions, type StoreSettings, type SynchronousMode } from './store';
export { StoreError, StoreLimitError, StoreValidationError, isStoreFull, type StoreErrorCode } from './errors';
export { type Migration, type MigrationResult, checkMigrations } from './migration';
export { MIGRATIONS } from './migrations';
export { UserRepository, addUser, deleteUser, type UserRecord } from './users';
export {
  MAX_BINDING_TEXT,
  RegistrationRepository,
  DEFAULT_EXPIRE_BATCH,
  type Binding,
  type BindingReach,
  type ReceivedFrom,
  type TransportProtocol,
} from './registrations';
export { computeHa1, isValidHa1, type Ha1 } from './ha1';
export { isValidSipUser, MAX_USER_LENGTH } from './username';
export { SessionRepository, type SessionRecord, type SessionKind, type SessionState } from './sessions';
export { GroupSessionRepository, type GroupSessionRecord, type GroupMemberRecord, type GroupSubscriptionRecord } from './group-sessions';
export { GroupRepository, MAX_GROUP_DOCUMENT_BYTES, type GroupRecord, type GroupPutResult } from './groups';
