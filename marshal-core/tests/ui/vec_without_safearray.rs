use marshal_core::marshal::Marshal;

#[derive(Marshal)]
struct S {
    a: Vec<i32>,
}

fn main() {}
