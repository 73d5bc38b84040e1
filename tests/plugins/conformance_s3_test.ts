/** The remote conformance suite (tests/plugins/_conformance.ts) against the s3 remote. */
import { conformance } from "./_conformance.ts";

conformance("s3");
