public enum PersonaPlaceholder {}
