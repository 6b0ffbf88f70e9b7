"""Search over the viewer's jurisdiction: tracking number, phone, Chinese words, filters."""
