"""Compiles the #stop_sexтинг program into packages for learning platforms."""
