import type { PluginManifest } from "../../lib/plugin/manifest.ts";

/**
 * S3 and S3-compatible servers. Network only to the configured endpoint (or
 * the bucket's AWS host), AWS credentials only from the named env vars or
 * the shared credentials file; the cache for upload sources and download temps.
 */
export const manifest: PluginManifest = {
  name: "remote_s3",
  apiVersion: 1,
  kind: "remote",
  schemes: ["s3"],
  description: "Amazon S3 / S3-compatible object storage (url = s3://bucket/path)",
  permissions: {
    net: [[
      "{remote.endpointurl.host}",
      "{remote.url.hostname}.s3.{remote.region|env.AWS_REGION|env.AWS_DEFAULT_REGION|'us-east-1'}.amazonaws.com",
    ]],
    read: [
      "{cacheDir}",
      ["{remote.credentialpath}", "{env.AWS_SHARED_CREDENTIALS_FILE}", "{home}/.aws/credentials"],
    ],
    write: ["{cacheDir}"],
    env: [
      "AWS_ACCESS_KEY_ID",
      "AWS_SECRET_ACCESS_KEY",
      "AWS_SESSION_TOKEN",
      "AWS_REGION",
      "AWS_DEFAULT_REGION",
      "AWS_PROFILE",
      "AWS_SHARED_CREDENTIALS_FILE",
    ],
  },
};
