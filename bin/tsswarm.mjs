#!/usr/bin/env node
import '../dist/tsswarm.mjs';
