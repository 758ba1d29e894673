"""Tests of the Microsoft Teams adapter, the app package and the outgoing webhook."""
