"""Credit sharing (信用信息互联互通): every credit event pushed to the city's credit platform."""
