#!/usr/bin/env node
import '../dist/tscompose.mjs';
