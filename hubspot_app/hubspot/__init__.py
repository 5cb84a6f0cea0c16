"""Everything that talks to HubSpot: OAuth, the CRM gateway, signatures, rate limits."""
