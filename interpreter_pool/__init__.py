"""Pure matching core: waiting citizens, staff presence, offers and sessions."""
