// Sahayak agent app: small progressive enhancements, no build step.
"use strict";
