"""Webhooks: endpoints a project registers, Standard Webhooks signing, and delivery."""
