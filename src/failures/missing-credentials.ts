// No credentials where a task or the operator said they would be. Thrown by src/s3 when it
// builds a client; the runner reports it as an invalid task, the operator as a wrong Secret.
export class MissingCredentialsError extends Error {
  override name = 'MissingCredentialsError';
}
